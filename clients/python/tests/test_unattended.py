"""The unattended parts on their own: backoff, the rules a line or name must meet, and the watched
folder's decisions, driven through a fake connection (the real server is PythonClientIT's)."""

import os
import random
import shutil
import tempfile
import time
import unittest
from unittest import mock

from authgate import protocol
from authgate.client import SessionEnded, UploadOutcome
from authgate.unattended import (
    Backoff,
    FolderWatcher,
    WatchListener,
    chat_text_problem,
    is_permanent,
    upload_name_problem,
)


class BackoffTest(unittest.TestCase):
    def test_each_wait_is_between_half_and_all_of_the_doubled_step_capped(self):
        backoff = Backoff(0.1, 5.0)
        rng = random.Random(7)
        steps = [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0]
        for retry, step in enumerate(steps, start=1):
            for _ in range(100):
                self.assertTrue(step / 2 <= backoff.delay(retry, rng) <= step, (retry, step))
        self.assertLessEqual(backoff.delay(10_000, rng), 5.0)

    def test_a_fleet_that_failed_together_does_not_retry_together(self):
        rng = random.Random(11)
        self.assertGreater(len({round(Backoff(0.1, 5.0).delay(6, rng), 6) for _ in range(50)}), 40)

    def test_steps_must_be_positive_and_in_order(self):
        with self.assertRaises(ValueError):
            Backoff(0, 1)
        with self.assertRaises(ValueError):
            Backoff(2, 1)


class PermanenceTest(unittest.TestCase):
    def test_a_refused_or_revoked_key_is_permanent_a_busy_server_or_lost_connection_is_not(self):
        self.assertTrue(is_permanent(protocol.Refused(0x01)))
        self.assertTrue(is_permanent(protocol.ServerNotVerified("no")))
        self.assertTrue(is_permanent(SessionEnded(2, "revoked")))
        self.assertTrue(is_permanent(SessionEnded(6, "not permitted")))
        self.assertFalse(is_permanent(protocol.Refused(0x05)))
        self.assertFalse(is_permanent(SessionEnded(1, "shutting down")))
        self.assertFalse(is_permanent(ConnectionRefusedError()))
        self.assertFalse(is_permanent(EOFError()))


class RulesTest(unittest.TestCase):
    def test_chat_lines_the_server_would_refuse_are_named(self):
        self.assertIsNone(chat_text_problem("hello\tworld"))
        self.assertIn("control", chat_text_problem("bell \x07"))
        self.assertIn("control", chat_text_problem("line\u2028separator"))
        self.assertIn("at most 4096", chat_text_problem("x" * 4097))
        self.assertIn("empty", chat_text_problem(""))
        self.assertIn("UTF-8", chat_text_problem("lone \ud800"))

    def test_upload_names_the_server_would_refuse_are_named(self):
        self.assertIsNone(upload_name_problem("report 2026.csv"))
        for bad in ("", ".", "..", "a/b", "a\\b", "tab\there", ".authgate-part-x", "x" * 256, "rtl\u202e"):
            self.assertIsNotNone(upload_name_problem(bad), bad)


class FakeConnection:
    """Stores uploads in a dict; can be told to refuse a name or to fail after accepting it."""

    def __init__(self, server):
        self.server = server
        self.closed = False

    def upload(self, path, name, overwrite=False, resume=True, cancel=None, on_ready=None):
        self.server.calls.append((name, overwrite))
        if name in self.server.refuse:
            return UploadOutcome(name, False, 0, bytes(32), "exists", "taken", 0, 0.0)
        if on_ready:
            on_ready()
        with open(path, "rb") as f:
            data = f.read()
        if name in self.server.fail_after_storing:
            self.server.fail_after_storing.discard(name)
            self.server.files[name] = data
            raise ConnectionResetError("the answer was lost")
        if name in self.server.files and not overwrite:
            return UploadOutcome(name, False, len(data), bytes(32), "exists", "taken", 0, 0.0)
        self.server.files[name] = data
        return UploadOutcome(name, True, len(data), bytes(32), "", "", 0, 0.0)

    def close(self):
        self.closed = True


class FakeServer:
    def __init__(self):
        self.files = {}
        self.calls = []
        self.refuse = set()
        self.fail_after_storing = set()


class Record(WatchListener):
    def __init__(self):
        self.stored_names, self.refused_names, self.skipped_names, self.disconnects = [], [], [], []

    def stored(self, path, outcome, moved_to):
        self.stored_names.append(outcome.name)

    def refused(self, path, outcome, retry_in):
        self.refused_names.append(outcome.name)

    def skipped(self, path, why, retry_in):
        self.skipped_names.append((os.path.basename(path), why))

    def disconnected(self, failure, retry_in):
        self.disconnects.append(failure)


class FolderWatcherTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.folder = os.path.join(self.dir, "outbox")
        self.done = os.path.join(self.dir, "sent")
        os.mkdir(self.folder)
        self.server = FakeServer()
        self.record = Record()
        self.watcher = FolderWatcher(
            "127.0.0.1:1", None, self.folder, self.done, self.record,
            settle=0.05, poll=0.01, backoff=Backoff(0.01, 0.02), retry=Backoff(0.05, 0.1),
        )
        self.watcher.connect = lambda: FakeConnection(self.server)
        # The watcher's clock is a fake one that rounds() advances: settle and retry decisions do
        # not depend on how busy the machine is.
        self.now = 1000.0
        self.clock = mock.patch("authgate.unattended.time.monotonic", lambda: self.now)
        self.clock.start()

    def tearDown(self):
        self.clock.stop()
        shutil.rmtree(self.dir)

    def write(self, name, data=b"data"):
        with open(os.path.join(self.folder, name), "wb") as f:
            f.write(data)

    def rounds(self, seconds):
        """Runs the watcher's decisions every 10 ms of the fake clock for ``seconds`` of it."""
        for _ in range(int(round(seconds / 0.01))):
            for path in self.watcher._ready():
                self.watcher._send(path)
            self.now += 0.01

    def test_a_settled_file_is_stored_then_moved_and_hidden_files_are_left(self):
        self.write("a.csv", b"1,2,3")
        self.write(".hidden")
        self.write("part.tmp")
        os.mkdir(os.path.join(self.folder, "sub"))
        self.rounds(0.3)
        self.assertEqual(self.server.files, {"a.csv": b"1,2,3"})
        self.assertEqual(sorted(os.listdir(self.folder)), [".hidden", "part.tmp", "sub"])
        self.assertEqual(os.listdir(self.done), ["a.csv"])

    def test_a_file_that_keeps_changing_is_not_taken_until_it_settles(self):
        for i in range(10):
            self.write("growing.log", b"x" * i)
            self.rounds(0.02)
        self.assertEqual(self.server.files, {})
        self.rounds(0.3)
        self.assertEqual(self.server.files, {"growing.log": b"x" * 9})

    def test_a_refused_file_stays_and_is_retried(self):
        self.server.refuse.add("taken.txt")
        self.write("taken.txt")
        self.rounds(0.5)
        self.assertGreaterEqual(len(self.record.refused_names), 2)
        self.assertEqual(os.listdir(self.folder), ["taken.txt"])
        self.server.refuse.clear()
        self.rounds(0.5)
        self.assertEqual(self.record.stored_names, ["taken.txt"])
        self.assertEqual(os.listdir(self.folder), [])

    def test_a_lost_answer_after_the_name_was_accepted_is_resent_replacing_that_name_once(self):
        self.server.fail_after_storing.add("once.bin")
        self.write("once.bin", b"payload")
        self.rounds(0.4)
        self.assertEqual(self.server.calls, [("once.bin", False), ("once.bin", True)])
        self.assertEqual(self.record.stored_names, ["once.bin"])
        self.assertEqual(len(self.record.disconnects), 1)

    def test_a_name_the_server_would_refuse_is_reported_and_kept(self):
        self.write("bad\\name")
        self.rounds(0.2)
        self.assertEqual(self.record.skipped_names[0][0], "bad\\name")
        self.assertEqual(os.listdir(self.folder), ["bad\\name"])
        self.assertEqual(self.server.calls, [])

    def test_a_name_taken_in_the_done_folder_gets_a_number(self):
        os.mkdir(self.done)
        with open(os.path.join(self.done, "r.txt"), "wb") as f:
            f.write(b"yesterday")
        self.watcher.overwrite = True
        self.write("r.txt", b"today")
        self.rounds(0.3)
        self.assertEqual(sorted(os.listdir(self.done)), ["r.txt", "r.txt.1"])
        with open(os.path.join(self.done, "r.txt.1"), "rb") as f:
            self.assertEqual(f.read(), b"today")

    def test_without_a_done_folder_stored_files_are_deleted(self):
        self.watcher.done = None
        self.write("gone.txt")
        self.rounds(0.3)
        self.assertEqual(os.listdir(self.folder), [])
        self.assertFalse(os.path.exists(self.done))


if __name__ == "__main__":
    unittest.main()
