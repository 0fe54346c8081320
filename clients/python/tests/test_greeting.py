"""A port that is not an authgate server is named as such, quoting what it said (as auth-client)."""

import socket
import threading
import unittest

from authgate import protocol


class GreetingTest(unittest.TestCase):
    def serve(self, greet):
        """A one-connection loopback server doing ``greet(conn)``; returns a connected client."""
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        done = threading.Event()
        self.addCleanup(done.set)
        self.addCleanup(listener.close)

        def run():
            conn, _ = listener.accept()
            with conn:
                greet(conn)
                done.wait(30)

        threading.Thread(target=run, daemon=True).start()
        client = socket.create_connection(listener.getsockname(), timeout=30)
        self.addCleanup(client.close)
        return client, "127.0.0.1:%d" % listener.getsockname()[1], done

    def test_an_ssh_banner_is_named_at_once_and_quoted(self):
        client, address, _ = self.serve(lambda c: c.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"))
        with self.assertRaises(protocol.ProtocolError) as raised:
            protocol.read_greeting(client, address, 30)
        self.assertEqual(
            str(raised.exception),
            '%s is not an authgate server: it sent "SSH-2.0-OpenSSH_9.2p1 Debian-2" where HELLO belongs'
            % address,
        )

    def test_a_port_that_closes_at_once_is_named(self):
        client, address, done = self.serve(lambda c: None)
        done.set()
        with self.assertRaises(EOFError) as raised:
            protocol.read_greeting(client, address, 30)
        self.assertEqual(str(raised.exception), "%s closed the connection without sending HELLO" % address)

    def test_a_silent_port_is_named_when_the_timeout_passes(self):
        client, address, _ = self.serve(lambda c: None)
        client.settimeout(1)
        with self.assertRaises(protocol.ServerSilent) as raised:
            protocol.read_greeting(client, address, 1)
        self.assertIn("accepted the connection but sent nothing in 1 s", str(raised.exception))

    def test_a_port_that_waits_to_be_spoken_to_is_sent_auths_header_and_named_by_its_answer(self):
        heard = []

        def http(conn):
            heard.append(protocol.read_exactly(conn, 5))
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")

        client, address, _ = self.serve(http)
        with self.assertRaises(protocol.ProtocolError) as raised:
            protocol.read_greeting(client, address, 300)
        self.assertEqual(
            str(raised.exception),
            '%s is not an authgate server: it sent "HTTP/1.1 400 Bad Request" where HELLO belongs' % address,
        )
        self.assertEqual(heard, [protocol.AUTH_HEADER])

    def test_a_port_that_closes_when_spoken_to_is_named_at_once(self):
        def tls(conn):
            protocol.read_exactly(conn, 5)
            conn.close()

        client, address, _ = self.serve(tls)
        with self.assertRaises(EOFError) as raised:
            protocol.read_greeting(client, address, 300)
        self.assertEqual(
            str(raised.exception),
            "%s closed the connection without sending HELLO (is this another service's port?)" % address,
        )

    def test_a_header_in_pieces_has_the_whole_timeout_not_the_probes_half_second(self):
        import time

        def slow(conn):
            conn.sendall(b"\x04")
            time.sleep(0.8)
            conn.sendall(b"\x00\x00\x00\x01\x05")

        client, address, _ = self.serve(slow)
        greeting = protocol.read_greeting(client, address, 30)
        self.assertEqual((greeting[1], greeting[2]), (0x04, b"\x05"))
        self.assertFalse(greeting.auth_header_sent)

    def test_a_port_that_resets_when_spoken_to_is_named_at_once(self):
        import struct as _struct

        def resetting(conn):
            conn.recv(1)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _struct.pack("ii", 1, 0))
            conn.close()

        client, address, _ = self.serve(resetting)
        with self.assertRaises(EOFError) as raised:
            protocol.read_greeting(client, address, 300)
        self.assertEqual(
            str(raised.exception),
            "%s reset the connection without sending HELLO (is this another service's port?)" % address,
        )

    def test_binary_bytes_are_escaped_and_a_long_greeting_cut(self):
        self.assertEqual(
            protocol.quote_greeting(bytes([0x16, 0x03, 0x01, 0x00, 0xA5, 0x01, 0x22, 0x5C])),
            "\\x16\\x03\\x01\\x00\\xa5\\x01\\x22\\x5c",
        )
        self.assertEqual(protocol.quote_greeting(b"x" * 61), "x" * 60 + "...")
        self.assertTrue(protocol.could_start_a_greeting(bytes([0x01, 0, 0, 0, 162])))
        self.assertTrue(protocol.could_start_a_greeting(bytes([0x04, 0, 0, 0, 3])))
        self.assertFalse(protocol.could_start_a_greeting(bytes([0x04, 0, 0, 1, 0])))
        self.assertFalse(protocol.could_start_a_greeting(b"SSH-2"))


if __name__ == "__main__":
    unittest.main()
