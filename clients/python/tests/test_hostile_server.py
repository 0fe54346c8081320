"""What the client does with what a hostile or broken server sends, and with a tampered credential:
escape it, refuse it, never write it, never die with a traceback."""

import contextlib
import io
import os
import signal
import struct
import tempfile
import unittest
from unittest import mock

from authgate import __main__ as cli
from authgate import protocol
from authgate.client import Connection, ListRefused, SessionEnded, UploadCancelled
from authgate.credential import Credential, CredentialError


class FakeChannel:
    """Answers every send with the next scripted (inner type, body)."""

    def __init__(self, *replies):
        self.replies = list(replies)
        self.sent = []

    def send(self, inner, body):
        self.sent.append((inner, body))

    def receive(self):
        return self.replies.pop(0)


def close(code: int, text: str) -> tuple[int, bytes]:
    raw = text.encode("utf-8")
    return protocol.CLOSE, bytes([code, len(raw)]) + raw


class HostileServerTest(unittest.TestCase):
    def test_a_close_during_ping_is_the_sessions_end_and_its_text_reaches_the_terminal_escaped(self):
        conn = Connection(None, "rogue", FakeChannel(close(1, "bye\x1b[2J\x1b]0;pwned\x07")))
        with self.assertRaises(SessionEnded) as ended:
            conn.ping()
        self.assertEqual(ended.exception.code, 1)
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            code = cli._failure(ended.exception)
        self.assertEqual(code, cli.CONNECTION)
        self.assertNotIn("\x1b", err.getvalue())
        self.assertNotIn("\x07", err.getvalue())
        self.assertIn("\\u001b[2J", err.getvalue())

    def test_a_listing_the_server_cannot_make_is_an_error_not_an_empty_list(self):
        text = "cannot read\x1b[2J"
        body = b"\x0dstorage-error" + struct.pack(">H", len(text)) + text.encode()
        conn = Connection(None, "sensor-1", FakeChannel((protocol.LIST_REFUSED, body)))
        with self.assertRaises(ListRefused) as refused:
            conn.list()
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            code = cli._failure(refused.exception)
        self.assertEqual(code, cli.TRANSFER)
        self.assertEqual(err.getvalue(), "authgate: the server could not list its files: cannot read\\u001b[2J [storage-error]\n")

    def test_format_characters_are_escaped_so_lookalike_ids_never_look_alike(self):
        self.assertEqual(cli._printable("sensor-1\u200b"), "sensor-1\\u200b")
        self.assertEqual(cli._printable("\ufeffsensor-1"), "\\ufeffsensor-1")
        # the same set as the Java client: a no-break space or an emoji is shown as it is
        self.assertEqual(cli._printable("a\u00a0b \U0001F600"), "a\u00a0b \U0001F600")

    def test_a_huge_modification_time_is_shown_not_a_traceback(self):
        self.assertEqual(cli._iso(2**63 - 1), "%d ms since 1970" % (2**63 - 1))
        self.assertEqual(cli._iso(1_700_000_000_123), "2023-11-14T22:13:20.123Z")


class CredentialTamperingTest(unittest.TestCase):
    def test_a_second_client_id_line_is_refused(self):
        text = Credential("sensor-1", "k1", bytes(32)).format() + "client-id admin\n"
        with self.assertRaises(CredentialError) as refused:
            Credential.parse(text, "m.credential")
        self.assertIn("a second 'client-id' line", str(refused.exception))


class HostileEnrollmentTest(unittest.TestCase):
    def test_an_invalid_id_in_enroll_result_is_refused_and_no_credential_is_written(self):
        from authgate import client
        from authgate.credential import EnrollmentToken

        evil_id = b"sensor-1\nclient-id admin"
        body = bytes([0, len(evil_id)]) + evil_id + b"\x02k1\x00" + struct.pack(">H", 0)

        class FakeConn:
            server_id = "rogue"
            _channel = FakeChannel()

            def _reply(self):
                return protocol.ENROLL_RESULT, body

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

        out = os.path.join(tempfile.mkdtemp(), "m.credential")
        token = EnrollmentToken.parse("agt2-" + "0" * 16 + "-" + "A" * 43 + "-" + "B" * 43)
        with mock.patch.object(client, "connect", lambda *a, **k: FakeConn()):
            with self.assertRaises(protocol.ProtocolError) as refused:
                client.enroll("127.0.0.1:1", token, out)
        self.assertIn("invalid id", str(refused.exception))
        self.assertNotIn("\n", str(refused.exception))
        self.assertFalse(os.path.exists(out))


class PlantedLinkTest(unittest.TestCase):
    def test_a_staging_file_that_is_a_planted_link_is_removed_never_followed(self):
        import hashlib

        from authgate.client import staging_file

        data = bytes(range(256)) * 40
        out = tempfile.mkdtemp()
        victim = os.path.join(tempfile.mkdtemp(), "victim.bin")
        with open(victim, "wb") as f:
            f.write(data[:1000])  # starts like the download: followed, a resume would fill it
        os.symlink(victim, staging_file(out, "data.bin"))
        sha = hashlib.sha256(data).digest()
        ready = struct.pack(">QQQ", len(data), 1_700_000_000_000, 0)
        end = bytes([0]) + struct.pack(">Q", len(data)) + sha + b"\x04sent" + struct.pack(">H", 0)

        class FakeSock:
            def gettimeout(self):
                return 10.0

            def settimeout(self, value):
                pass

        channel = FakeChannel((protocol.GET_READY, ready), (protocol.GET_DATA, data), (protocol.GET_END, end))
        outcome = Connection(FakeSock(), "server", channel).get("data.bin", out)

        self.assertEqual(outcome.status, "fetched")
        with open(victim, "rb") as f:
            self.assertEqual(f.read(), data[:1000])
        with open(os.path.join(out, "data.bin"), "rb") as f:
            self.assertEqual(f.read(), data)
        self.assertFalse(os.path.islink(os.path.join(out, "data.bin")))
        self.assertEqual(struct.unpack(">Q", channel.sent[0][1][1 + 8 : 1 + 8 + 8])[0], 0, "no resume offered")


class CredentialFileTest(unittest.TestCase):
    def test_a_directory_given_as_the_key_is_named_as_such_not_told_to_chmod(self):
        d = tempfile.mkdtemp()
        with self.assertRaises(CredentialError) as refused:
            Credential.load(d)
        self.assertEqual(str(refused.exception), "%s is not a regular file" % d)


if __name__ == "__main__":
    unittest.main()


class InterruptTest(unittest.TestCase):
    """Ctrl-C ends a command with one line and exit 130, as auth-client's, never a traceback."""

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.key = os.path.join(self.dir, "m.credential")
        fd = os.open(self.key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, Credential("m", "k1", bytes(32)).format().encode())
        os.close(fd)
        self.file = os.path.join(self.dir, "night.dump")
        with open(self.file, "wb") as f:
            f.write(b"x" * 10)

    def run_cli(self, argv, conn):
        err = io.StringIO()
        with mock.patch.object(cli, "connect", lambda *a, **k: conn), contextlib.redirect_stderr(err):
            code = cli.main(argv)
        return code, err.getvalue()

    def test_ctrl_c_during_an_upload_says_what_the_server_kept_and_how_to_go_on(self):
        class Interrupted:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

            def upload(self, *a, **k):
                raise KeyboardInterrupt

        code, err = self.run_cli(
            ["upload", "--server", "127.0.0.1:1", "--key", self.key, self.file], Interrupted()
        )
        self.assertEqual(code, 130)
        self.assertIn(
            "authgate: interrupted while sending night.dump: the server keeps what it received and"
            " verified; run the same command again to continue from there",
            err,
        )
        self.assertNotIn("Traceback", err)

    def test_ctrl_c_stops_after_the_chunk_closes_the_session_and_names_the_bytes_kept(self):
        other = os.path.join(self.dir, "later.dump")
        with open(other, "wb") as f:
            f.write(b"y")
        calls = []

        class Cooperative:
            closed = False

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                Cooperative.closed = True  # the session ends with CLOSE, not a cut
                return False

            def upload(self, path, cancel=None, **k):
                calls.append(path)
                self.assert_not_cancelled = cancel()
                os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C after the first chunk
                if cancel():
                    raise UploadCancelled(os.path.basename(path), 4, 10)
                raise AssertionError("the upload was not asked to stop")

        conn = Cooperative()
        before = signal.signal(signal.SIGINT, signal.default_int_handler)  # as an interactive shell
        self.addCleanup(signal.signal, signal.SIGINT, before)
        code, err = self.run_cli(["upload", "--server", "127.0.0.1:1", "--key", self.key, self.file, other], conn)
        self.assertEqual(code, 130)
        self.assertFalse(conn.assert_not_cancelled)
        self.assertEqual(calls, [self.file])
        self.assertTrue(Cooperative.closed)
        self.assertEqual(
            err,
            "authgate: interrupted while sending night.dump: the server keeps the 4 of 10 bytes it received"
            " and verified; run the same command again to continue from there; not sent: %s\n" % other,
        )
        # the handler is put back: Ctrl-C after the command is Python's own again
        self.assertIs(signal.getsignal(signal.SIGINT), signal.default_int_handler)

    def test_a_name_whose_bytes_are_not_utf8_is_refused_in_one_line_before_connecting(self):
        latin1 = os.path.join(os.fsencode(self.dir), b"caf\xe9.txt")  # Latin-1 e-acute: not UTF-8
        with open(latin1, "wb") as f:
            f.write(b"data")

        class NeverConnected:
            def __enter__(self):
                raise AssertionError("connected for a name it must refuse")

            def __exit__(self, *exc):
                return False

        code, err = self.run_cli(
            ["upload", "--server", "127.0.0.1:1", "--key", self.key, os.fsdecode(latin1)],
            NeverConnected(),
        )
        self.assertEqual(code, 2)
        self.assertTrue(err.endswith(": its name is not valid UTF-8 (this process's locale); rename it\n"), err)
        self.assertEqual(err.count("\n"), 1, err)
        self.assertNotIn("Traceback", err)

    def test_ctrl_c_in_any_other_command_is_one_line(self):
        class Interrupted:
            def __enter__(self):
                raise KeyboardInterrupt

            def __exit__(self, *exc):
                return False

        code, err = self.run_cli(["ping", "--server", "127.0.0.1:1", "--key", self.key], Interrupted())
        self.assertEqual(code, 130)
        self.assertEqual(err, "authgate: interrupted\n")  # no blank line: stderr is no terminal here
