"""PROTOCOL.md section 11.5, byte for byte: the datagram keys and first datagram of a channel of the
section 9 session, and datagrams that do not open."""

import unittest

from authgate import protocol

DG_SECRET = bytes.fromhex("dc841a2c21c3be8a30a42c56226b10850725e3a1948d9337ea2a328fc555a98d")
CHANNEL = bytes.fromhex("0102030405060708")


class DatagramVectorTest(unittest.TestCase):
    def test_the_worked_example_derives_the_documented_keys_and_first_datagram(self):
        c2s, s2c = protocol.datagram_keys(DG_SECRET, CHANNEL)
        self.assertEqual(c2s.key.hex(), "87df794bb6ebc2c33a324b02ffd0f64a335e93901ee3bff4b02799f4b36de591")
        self.assertEqual(c2s.iv.hex(), "eecb00d644c15243fa7a06c0")
        self.assertEqual(s2c.key.hex(), "6e11909d00bdf13c273c41c6c39c643690eb80d7167816c179bcb3c516362e2b")
        self.assertEqual(s2c.iv.hex(), "dba6860c30f85844c2b8678a")
        sealed = protocol.seal_datagram(c2s, CHANNEL, 0, protocol.DATAGRAM_SAY, b"hello")
        self.assertEqual(
            sealed.hex(), "0102030405060708000000000000000039542d2ff12a2798e839c9bb33305e6ac4123ab6b68d")
        self.assertEqual(protocol.open_datagram(c2s, CHANNEL, sealed), (0, protocol.DATAGRAM_SAY, b"hello"))

    def test_the_session_secret_of_the_worked_example(self):
        schedule = protocol.KeySchedule.of(b"", b"", bytes.fromhex(
            "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"))
        t = bytes.fromhex("52e190245156e611f3f556902a59933c5b581b8608dc07d22189df2677859927")
        client_key = bytes.fromhex("2a75f4c60c0bc0ea1143a1b95f32f9c571be775a402f41f14146298c3170d02f")
        self.assertEqual(schedule.datagram_secret(t, client_key), DG_SECRET)

    def test_a_flipped_bit_another_channel_or_a_wrong_size_does_not_open(self):
        c2s, _ = protocol.datagram_keys(DG_SECRET, CHANNEL)
        sealed = bytearray(protocol.seal_datagram(c2s, CHANNEL, 7, protocol.DATAGRAM_SAY, b"x"))
        sealed[-1] ^= 1
        for bad in (bytes(sealed), bytes(32), b"\x09" + bytes(sealed[1:]), bytes(1201)):
            with self.assertRaises(protocol.ProtocolError):
                protocol.open_datagram(c2s, CHANNEL, bad)


if __name__ == "__main__":
    unittest.main()
