"""Connecting: a verified session over TCP, with a deadline on every read and write."""

from __future__ import annotations

import os
import socket
import struct
import time

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from . import protocol
from .credential import Credential

DEFAULT_PORT = 7350


def parse_server(text: str) -> tuple[str, int]:
    """``HOST``, ``HOST:PORT``, ``[V6]`` or ``[V6]:PORT``; port 7350 unless given."""
    text = text.strip()
    if not text:
        raise ValueError("no server: give --server HOST[:PORT] or set AUTHGATE_SERVER")
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise ValueError("'%s': an IPv6 address goes in brackets, [::1]:7350" % text)
        host, rest = text[1:end], text[end + 1 :]
        port = rest[1:] if rest.startswith(":") else (None if not rest else "x")
    elif text.count(":") == 1:
        host, port = text.split(":")
    elif ":" in text:
        raise ValueError("'%s': put an IPv6 address in brackets, [%s]" % (text, text))
    else:
        host, port = text, None
    if port is None:
        return host, DEFAULT_PORT
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("'%s': the port must be 1 to 65535" % text)
    return host, int(port)


class Connection:
    """A verified session. Use as a context manager; ``close`` says CLOSE to the server."""

    def __init__(self, sock: socket.socket, server_id: str, channel: protocol.SecureChannel):
        self._sock = sock
        self.server_id = server_id
        self._channel = channel
        self._closed = False
        self._tokens = 0

    def ping(self) -> float:
        """One sealed round trip; returns it in seconds."""
        self._tokens += 1
        token = self._tokens
        start = time.perf_counter()
        self._channel.send(protocol.PING, struct.pack(">Q", token))
        while True:
            inner, body = self._channel.receive()
            if inner == protocol.PONG and len(body) == 8:
                if struct.unpack(">Q", body)[0] == token:
                    return time.perf_counter() - start
            elif inner == protocol.PING and len(body) == 8:
                self._channel.send(protocol.PONG, body)
            elif inner == protocol.CLOSE:
                code, text = protocol.parse_close(body)
                raise protocol.ProtocolError("the server closed the session: " + text)
            else:
                raise protocol.ProtocolError("unexpected message 0x%02x while waiting for PONG" % inner)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._channel.send(protocol.CLOSE, protocol.close_body(0, "bye"))
        except OSError:
            pass
        finally:
            self._sock.close()

    def __enter__(self) -> "Connection":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def connect(server: str, credential: Credential, timeout: float = 10.0) -> Connection:
    """Connects, runs the handshake and verifies the server; raises on any failure.

    ``timeout`` bounds connecting and every read and write of the session.
    """
    host, port = parse_server(server)
    sock = socket.create_connection((host, port), timeout=timeout)
    try:
        sock.settimeout(timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        handshake = protocol.ClientHandshake(
            credential.client_id,
            credential.key_id,
            credential.keys,
            os.urandom(32),
            X25519PrivateKey.generate(),
        )
        _, frame_type, payload = protocol.read_frame(sock, protocol.PRE_AUTH_MAX)
        sock.sendall(handshake.on_hello(frame_type, payload))
        head, frame_type, payload = protocol.read_frame(sock, protocol.PRE_AUTH_MAX)
        server_id, c2s, s2c = handshake.on_welcome(head, frame_type, payload)
        return Connection(sock, server_id, protocol.SecureChannel(sock, c2s, s2c))
    except BaseException:
        sock.close()
        raise
