"""Section 5.6's messages from the client's side: what it sends, what it accepts and refuses."""

import struct
import unittest

from authgate import protocol


def listing_entry(name: bytes, size: int = 5000, shared: int = 0) -> bytes:
    return bytes([len(name)]) + name + struct.pack(">QQ", size, 1795000000000) + bytes(range(32)) + bytes([shared])


class DownloadMessagesTest(unittest.TestCase):
    def test_a_listing_parses_into_its_entries(self):
        more, files = protocol.parse_file_listing(b"\x01\x00\x02" + listing_entry(b"agent.conf") + listing_entry(b"ca.pem", 7, 1))
        self.assertTrue(more)
        self.assertEqual([f.name for f in files], ["agent.conf", "ca.pem"])
        self.assertEqual(files[0].size, 5000)
        self.assertEqual(files[0].sha256, bytes(range(32)))
        self.assertTrue(files[1].shared)

    def test_a_listing_with_a_path_a_bad_flag_or_trailing_bytes_is_refused(self):
        for body in (
            b"\x00\x00\x01" + listing_entry(b"../x"),
            b"\x00\x00\x01" + listing_entry(b"a", shared=2),
            b"\x02\x00\x00",
            b"\x00\x00\x00\x00",
            b"\x00\x00\x01" + listing_entry(b"a")[:-5],
        ):
            with self.assertRaises(protocol.ProtocolError, msg=body.hex()):
                protocol.parse_file_listing(body)

    def test_get_file_has_the_documented_layout(self):
        body = protocol.get_file_body("agent.conf", 4096, bytes(range(32)), True, bytes(32))
        self.assertEqual(body[:11], b"\x0aagent.conf")
        self.assertEqual(struct.unpack(">Q", body[11:19])[0], 4096)
        self.assertEqual(body[19:51], bytes(range(32)))
        self.assertEqual(body[51], protocol.GET_IF_CHANGED)
        self.assertEqual(len(body), 1 + 10 + 8 + 32 + 1 + 32)

    def test_get_ready_and_get_end_parse_and_refuse_what_does_not_fit(self):
        self.assertEqual(protocol.parse_get_ready(struct.pack(">QQQ", 10, 5, 4)), (10, 5, 4))
        with self.assertRaises(protocol.ProtocolError):
            protocol.parse_get_ready(struct.pack(">QQQ", 10, 5, 11))
        end = protocol.parse_get_end(b"\x02" + struct.pack(">Q", 0) + bytes(32) + b"\x07changed" + struct.pack(">H", 2) + b"hi")
        self.assertEqual((end.status, end.reason, end.text), ("refused", "changed", "hi"))
        with self.assertRaises(protocol.ProtocolError):
            protocol.parse_get_end(b"\x03" + struct.pack(">Q", 0) + bytes(32) + b"\x00\x00\x00")

    def test_list_refused_parses_and_refuses_what_does_not_fit(self):
        body = b"\x0dstorage-error" + struct.pack(">H", 5) + b"later"
        self.assertEqual(protocol.parse_list_refused(body), ("storage-error", "later"))
        for bad in (b"\x00" + struct.pack(">H", 0), body + b"x", body[:-1], b"\x0dstorage-err\xff\x00\x00\x00"):
            with self.assertRaises(protocol.ProtocolError, msg=bad.hex()):
                protocol.parse_list_refused(bad)


if __name__ == "__main__":
    unittest.main()
