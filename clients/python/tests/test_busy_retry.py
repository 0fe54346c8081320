"""connect() tries a server that says "try later" again, briefly; nothing else is retried."""

import unittest
from unittest import mock

from authgate import client, protocol


class BusyRetryTest(unittest.TestCase):
    def setUp(self):
        self.sleeps = []
        patcher = mock.patch.object(client.time, "sleep", self.sleeps.append)
        patcher.start()
        self.addCleanup(patcher.stop)

    def attempts(self, *outcomes):
        """_connect_once raising or returning each of ``outcomes`` in turn."""
        calls = list(outcomes)

        def once(server, credential, timeout):
            outcome = calls.pop(0)
            if isinstance(outcome, BaseException):
                raise outcome
            return outcome

        patcher = mock.patch.object(client, "_connect_once", side_effect=once)
        stub = patcher.start()
        self.addCleanup(patcher.stop)
        return stub

    def test_try_later_is_retried_with_short_jittered_waits_until_the_server_lets_us_in(self):
        stub = self.attempts(protocol.Refused(0x05), protocol.Refused(0x05), "connection")
        self.assertEqual(client.connect("gate", None), "connection")
        self.assertEqual(stub.call_count, 3)
        self.assertEqual(len(self.sleeps), 2)
        self.assertTrue(0.125 <= self.sleeps[0] <= 0.25, self.sleeps)
        self.assertTrue(0.25 <= self.sleeps[1] <= 0.5, self.sleeps)

    def test_zero_busy_retry_tries_once(self):
        self.attempts(protocol.Refused(0x05))
        with self.assertRaises(protocol.Refused) as raised:
            client.connect("gate", None, busy_retry=0)
        self.assertEqual(raised.exception.code, 0x05)
        self.assertEqual(self.sleeps, [])

    def test_a_refused_key_is_not_retried(self):
        stub = self.attempts(protocol.Refused(0x01))
        with self.assertRaises(protocol.Refused):
            client.connect("gate", None)
        self.assertEqual(stub.call_count, 1)

    def test_the_retry_ends_with_the_refusal_when_the_time_is_up(self):
        clock = [0.0]

        def sleep(seconds):
            self.sleeps.append(seconds)
            clock[0] += seconds

        with mock.patch.object(client.time, "sleep", sleep), mock.patch.object(
            client.time, "monotonic", lambda: clock[0]
        ):
            self.attempts(*[protocol.Refused(0x05)] * 50)
            with self.assertRaises(protocol.Refused):
                client.connect("gate", None, busy_retry=3.0)
        self.assertLessEqual(sum(self.sleeps), 3.0)
        self.assertGreater(len(self.sleeps), 2)


if __name__ == "__main__":
    unittest.main()


class PenaltyTest(unittest.TestCase):
    """REFUSED 0x06 says how long this address is penalised: waited out when it fits the busy
    retry, said with the seconds otherwise; a pending, revoked or expired key is never retried."""

    def test_the_refusal_carries_the_seconds_left(self):
        refused = protocol.parse_refused(bytes([0x06, 0x01, 0x2C]))
        self.assertEqual((refused.code, refused.retry_after), (0x06, 300))
        self.assertEqual(
            str(refused),
            "too many failed attempts from this address: the server refuses it for another 300 s",
        )

    def test_a_pending_key_is_told_how_to_be_let_in(self):
        refused = protocol.parse_refused(bytes([0x07]), "m6")
        self.assertEqual(
            str(refused),
            "waiting for approval: the operator has not let this machine in yet"
            " (on the server: auth-server keys approve m6)",
        )

    def test_bad_refusals_are_protocol_errors(self):
        for payload in (b"", b"\x06", b"\x06\x00\x01\x02", b"\x06\x00\x00", b"\x01\x00", b"\x0b"):
            with self.assertRaises(protocol.ProtocolError, msg=payload):
                protocol.parse_refused(payload)

    def test_a_short_penalty_is_waited_out(self):
        sleeps = []
        calls = [protocol.Refused(0x06, 3), "connection"]

        def once(server, credential, timeout):
            outcome = calls.pop(0)
            if isinstance(outcome, BaseException):
                raise outcome
            return outcome

        with mock.patch.object(client.time, "sleep", sleeps.append), mock.patch.object(
            client, "_connect_once", side_effect=once
        ):
            self.assertEqual(client.connect("gate", None), "connection")
        self.assertEqual(len(sleeps), 1)
        self.assertTrue(3.125 <= sleeps[0] <= 3.25, sleeps)

    def test_a_long_penalty_is_reported_at_once(self):
        with mock.patch.object(client.time, "sleep", lambda s: self.fail("slept")), mock.patch.object(
            client, "_connect_once", side_effect=protocol.Refused(0x06, 600)
        ):
            with self.assertRaises(protocol.Refused) as raised:
                client.connect("gate", None)
        self.assertEqual(raised.exception.retry_after, 600)

    def test_pending_revoked_and_expired_keys_are_permanent(self):
        from authgate import unattended

        for code in (0x01, 0x07, 0x08, 0x09):
            self.assertTrue(unattended.is_permanent(protocol.Refused(code)), code)
        self.assertFalse(unattended.is_permanent(protocol.Refused(0x06, 5)))
        self.assertFalse(unattended.is_permanent(protocol.Refused(0x05)))
        self.assertEqual(unattended.not_before_penalty_ends(protocol.Refused(0x06, 30), 2.0), 31.0)
        self.assertEqual(unattended.not_before_penalty_ends(protocol.Refused(0x05), 2.0), 2.0)
        # a refusal anyone on the path could send never parks a machine for hours
        self.assertEqual(unattended.not_before_penalty_ends(protocol.Refused(0x06, 65535), 2.0), 600.0)
