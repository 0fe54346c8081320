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
