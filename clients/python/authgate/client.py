"""Connecting: a verified session over TCP, with a deadline on every read and write."""

from __future__ import annotations

import hashlib
import os
import random
import re
import select
import socket
import stat
import struct
import sys
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from . import protocol
from .credential import Credential, CredentialError, RotationLock, fsync_directory, latest, logged_in, save_rotated

DEFAULT_PORT = 7350


def parse_server(text: str) -> tuple[str, int]:
    """``HOST``, ``HOST:PORT``, ``[V6]`` or ``[V6]:PORT``; port 7350 unless given. Malformed, it
    raises ValueError in auth-client's words."""
    text = text.strip()
    if not text:
        raise ValueError("no server: give --server HOST[:PORT] or set AUTHGATE_SERVER")
    invalid = ValueError(
        "invalid server address '%s': use HOST[:PORT], e.g. 127.0.0.1, 127.0.0.1:7350 or [::1]:7350"
        % text
    )
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise invalid
        host, rest = text[1:end], text[end + 1 :]
        if rest and not rest.startswith(":"):
            raise invalid
        port = rest[1:] if rest else None
    elif text.count(":") > 1:
        raise invalid  # a bare IPv6 literal: brackets tell its colons from the port's
    elif ":" in text:
        host, port = text.split(":")
    else:
        host, port = text, None
    number = DEFAULT_PORT
    if port is not None:
        if not port.isdigit():
            raise invalid
        number = int(port)
    if not host or "[" in host or "]" in host or not 0 < number < 65536:
        raise invalid
    return host, number


@dataclass(frozen=True)
class UploadOutcome:
    """How one file's upload ended, as ``auth-client upload`` reports it."""

    name: str
    stored: bool
    size: int
    sha256: bytes
    reason: str
    text: str
    resumed_from: int
    seconds: float

    def describe(self) -> str:
        """``stored NAME: SIZE bytes, sha256 HEX, S s (R MiB/s)`` or ``refused NAME: why [reason]``."""
        if not self.stored:
            return "refused %s: %s [%s]" % (self.name, self.text, self.reason)
        seconds = max(self.seconds, 1e-9)
        return "stored %s: %d bytes%s, sha256 %s, %.2f s (%.1f MiB/s)" % (
            self.name,
            self.size,
            " (resumed from %d)" % self.resumed_from if self.resumed_from else "",
            self.sha256.hex(),
            seconds,
            (self.size - self.resumed_from) / (1024 * 1024) / seconds,
        )


SOURCE_CHANGED = "source-changed"


STAGING_SUFFIX = ".authgate-part"


def staging_file(directory: str, name: str) -> str:
    """Where ``name`` is staged in ``directory`` while it is fetched."""
    return os.path.join(directory, "." + name + STAGING_SUFFIX)


def _sha256_of(path: str):
    """SHA-256 of a regular file, never through a symbolic link (one planted in --out)."""
    digest = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest


def _is_plain_file(path: str) -> bool:
    """Whether ``path`` is a regular file itself (a symbolic link to one is not)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


@dataclass(frozen=True)
class DownloadOutcome:
    """How one file's download ended, as ``auth-client get`` reports it; ``status`` is fetched,
    unchanged or refused."""

    name: str
    status: str
    path: str | None
    size: int
    sha256: bytes
    reason: str
    text: str
    resumed_from: int
    seconds: float

    @property
    def ok(self) -> bool:
        return self.status != "refused"

    def describe(self) -> str:
        if self.status == "refused":
            return "refused %s: %s [%s]" % (self.name, self.text, self.reason)
        if self.status == "unchanged":
            return "unchanged %s: %d bytes, sha256 %s" % (self.name, self.size, self.sha256.hex())
        seconds = max(self.seconds, 1e-9)
        return "fetched %s: %d bytes%s, sha256 %s, %.2f s (%.1f MiB/s)" % (
            self.name,
            self.size,
            " (resumed from %d)" % self.resumed_from if self.resumed_from else "",
            self.sha256.hex(),
            seconds,
            (self.size - self.resumed_from) / (1024 * 1024) / seconds,
        )


class UploadCancelled(Exception):
    """An upload stopped between chunks because its ``cancel`` said so. The server keeps what it
    received (``position`` of ``size`` bytes of ``name``); close the connection, and the same upload
    with resume continues from there."""

    def __init__(self, name: str, position: int, size: int):
        super().__init__("stopped sending %s after %d of %d bytes" % (name, position, size))
        self.name = name
        self.position = position
        self.size = size


_VALID_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,63}")


class ListRefused(Exception):
    """The server could not say what it publishes for this client (LIST_REFUSED): an error on its
    side, not an empty listing. ``reason`` is machine-readable (``storage-error``)."""

    def __init__(self, reason: str, text: str):
        super().__init__(text)
        self.reason = reason
        self.text = text


class SessionEnded(protocol.ProtocolError):
    """The server ended the session with CLOSE ``code`` and ``text`` (2 revoked, 6 not permitted)."""

    def __init__(self, code: int, text: str):
        super().__init__(text)
        self.code = code
        self.text = text


def _state(fd: int) -> tuple[int, int, int]:
    st = os.fstat(fd)
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns


class Connection:
    """A verified session. Use as a context manager; ``close`` says CLOSE to the server."""

    def __init__(self, sock: socket.socket, server_id: str, channel: protocol.SecureChannel,
                 datagram_secret: bytes | None = None):
        self._sock = sock
        self.server_id = server_id
        self._channel = channel
        self._closed = False
        self._tokens = 0
        self._datagram_secret = datagram_secret

    def _await(self, wanted: int) -> bytes:
        """Reads until a message of type ``wanted``: chat events and PONGs are skipped, PINGs
        answered, CLOSE raised as SessionEnded, anything else a protocol error."""
        while True:
            inner, body = self._channel.receive()
            if inner == wanted:
                return body
            if inner == protocol.PING and len(body) == 8:
                self._channel.send(protocol.PONG, body)
            elif inner == protocol.CLOSE:
                code, text = protocol.parse_close(body)
                raise SessionEnded(code, text)
            elif inner not in (protocol.CHAT_EVENT, protocol.PONG):
                raise protocol.ProtocolError("unexpected message 0x%02x" % inner)

    def sync(self) -> None:
        """A round trip that skips chat events: once it returns, the server has handled every
        message sent before it (frames are handled in order)."""
        self._tokens += 1
        token = struct.pack(">Q", self._tokens)
        self._channel.send(protocol.PING, token)
        while self._await(protocol.PONG) != token:
            pass

    def open_datagrams(self) -> "DatagramSender":
        """Opens this session's datagram channel (PROTOCOL.md section 11) for sending lines as
        sealed UDP datagrams to the server's UDP port on the address this connection reached.
        Raises DatagramsUnavailable if the server takes no datagrams."""
        if self._datagram_secret is None:
            raise protocol.ProtocolError("this session has no datagram secret")
        self._channel.send(protocol.DATAGRAM_OPEN, b"\x00")
        channel_id, port, rate = protocol.parse_datagram_opened(self._await(protocol.DATAGRAM_OPENED))
        if port == 0:
            raise DatagramsUnavailable(
                "the server takes no datagrams (its --udp-port is 0, or it has as many channels open as it may)")
        host = self._sock.getpeername()[0]
        c2s, _ = protocol.datagram_keys(self._datagram_secret, channel_id)
        return DatagramSender(self, channel_id, (host, port), c2s, rate)

    def datagram_counts(self) -> tuple[int, int, int]:
        """What the server received on this session's channel: (received, highest, dropped)."""
        self._channel.send(protocol.DATAGRAM_STATUS, b"")
        return protocol.parse_datagram_counts(self._await(protocol.DATAGRAM_COUNTS))

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
                raise SessionEnded(code, text)
            else:
                raise protocol.ProtocolError("unexpected message 0x%02x while waiting for PONG" % inner)


    def _reply(self) -> tuple[int, bytes]:
        """The next message that is not a PING (which is answered); a CLOSE ends the session
        (:class:`SessionEnded`)."""
        while True:
            inner, body = self._channel.receive()
            if inner == protocol.PING and len(body) == 8:
                self._channel.send(protocol.PONG, body)
            elif inner == protocol.CLOSE:
                code, text = protocol.parse_close(body)
                raise SessionEnded(code, text)
            else:
                return inner, body

    def upload(
        self,
        path: str,
        name: str | None = None,
        overwrite: bool = False,
        resume: bool = True,
        cancel=None,
        on_ready=None,
    ) -> UploadOutcome:
        """Uploads one file (section 5.3): streamed, SHA-256 checked by the server, resumed from a
        partial copy the server kept when its prefix matches. A refusal is an outcome, not an
        exception; a file that changes while it is read is not stored (``source-changed``).
        ``cancel()`` is asked after each chunk: when true, :class:`UploadCancelled` is raised.
        ``on_ready()`` is called once the server has accepted the name (UPLOAD_READY)."""
        name = name if name is not None else os.path.basename(path)
        start = time.perf_counter()
        with open(path, "rb") as f:
            before = _state(f.fileno())
            size = before[0]
            self._channel.send(protocol.UPLOAD_BEGIN, protocol.upload_begin_body(name, size, overwrite, resume))
            inner, body = self._reply()
            if inner == protocol.UPLOAD_RESULT:
                return self._outcome(name, protocol.parse_upload_result(body), size, 0, start)
            if inner != protocol.UPLOAD_READY:
                raise protocol.ProtocolError("unexpected message 0x%02x instead of UPLOAD_READY" % inner)
            offset, prefix = protocol.parse_upload_ready(body)
            digest = hashlib.sha256()
            if offset > 0 and not self._prefix_matches(f, offset, prefix, size, digest):
                self._channel.send(protocol.UPLOAD_END, bytes(32))
                self._reply()  # source-changed: the server dropped its partial
                return self.upload(path, name, overwrite, False, cancel, on_ready)
            if on_ready is not None:
                on_ready()
            f.seek(offset)
            position = offset
            early = None
            while position < size:
                chunk = f.read(min(protocol.MAX_CHUNK, size - position))
                if not chunk:
                    break
                digest.update(chunk)
                self._channel.send(protocol.UPLOAD_DATA, chunk)
                position += len(chunk)
                # an early answer first: a refusal already dropped what was sent
                if select.select([self._sock], [], [], 0)[0]:
                    inner, body = self._reply()
                    if inner != protocol.UPLOAD_RESULT:
                        raise protocol.ProtocolError("unexpected message 0x%02x during an upload" % inner)
                    early = protocol.parse_upload_result(body)
                    break
                if cancel is not None and position < size and cancel():
                    raise UploadCancelled(name, position, size)
            changed = early is None and (position != size or f.read(1) != b"" or _state(f.fileno()) != before)
            self._channel.send(protocol.UPLOAD_END, bytes(32) if changed else digest.digest())
            if early is None:
                timeout = self._sock.gettimeout()
                # The server forces the whole file to disk before it answers: allow for that.
                self._sock.settimeout(None if timeout is None else timeout + (size >> 24))
                try:
                    inner, body = self._reply()
                finally:
                    self._sock.settimeout(timeout)
                if inner != protocol.UPLOAD_RESULT:
                    raise protocol.ProtocolError("unexpected message 0x%02x instead of UPLOAD_RESULT" % inner)
                early = protocol.parse_upload_result(body)
            if changed:
                return UploadOutcome(
                    name, False, size, bytes(32), SOURCE_CHANGED,
                    "%s changed while it was being read; nothing was stored: upload it again once it is complete" % path,
                    offset, time.perf_counter() - start,
                )
            return self._outcome(name, early, size, offset, start)

    @staticmethod
    def _prefix_matches(f, offset: int, prefix: bytes, size: int, digest) -> bool:
        if offset > size:
            return False
        f.seek(0)
        remaining = offset
        while remaining > 0:
            chunk = f.read(min(protocol.MAX_CHUNK, remaining))
            if not chunk:
                return False
            digest.update(chunk)
            remaining -= len(chunk)
        return digest.copy().digest() == prefix

    @staticmethod
    def _outcome(name: str, result: protocol.UploadResult, size: int, offset: int, start: float) -> UploadOutcome:
        return UploadOutcome(
            name, result.stored, result.size if result.stored else size, result.sha256,
            result.reason, result.text, offset if result.stored else 0, time.perf_counter() - start,
        )

    def list(self) -> list[protocol.PublishedFile]:
        """The files published for this client (section 5.6), by name."""
        self._channel.send(protocol.LIST_FILES, b"")
        files: list[protocol.PublishedFile] = []
        while True:
            inner, body = self._reply()
            if inner == protocol.LIST_REFUSED and not files:
                raise ListRefused(*protocol.parse_list_refused(body))
            if inner != protocol.FILE_LISTING:
                raise protocol.ProtocolError("unexpected message 0x%02x instead of FILE_LISTING" % inner)
            more, entries = protocol.parse_file_listing(body)
            files.extend(entries)
            if not more:
                return files

    def get(self, name: str, directory: str = ".", resume: bool = True, if_changed: bool = False) -> "DownloadOutcome":
        """Fetches the published file ``name`` into ``directory`` (section 5.6): staged as
        ``.NAME.authgate-part`` (mode 0600), SHA-256 checked against the server's, fsync'ed and
        renamed into place; a staged prefix is resumed when the server confirms it. With
        ``if_changed`` nothing is transferred if the local copy already has the file's hash.
        A refusal is an outcome, not an exception."""
        if name.startswith(".") or "/" in name or "\\" in name or not name:
            raise ValueError("'%s' is not a published file name" % name)
        start = time.perf_counter()
        target = os.path.join(directory, name)
        staging = staging_file(directory, name)
        have = bytes(32)
        if if_changed and _is_plain_file(target):
            have = _sha256_of(target).digest()
        digest = hashlib.sha256()
        offset = 0
        if resume and _is_plain_file(staging):
            digest = _sha256_of(staging)
            offset = os.lstat(staging).st_size
        elif os.path.lexists(staging):
            os.unlink(staging)
        self._channel.send(protocol.GET_FILE, protocol.get_file_body(name, offset, digest.copy().digest(), if_changed, have))
        timeout = self._sock.gettimeout()
        # The server hashes what is resumed, or the whole file to compare, before it answers.
        self._sock.settimeout(None if timeout is None else timeout + (offset >> 26) + (60 if if_changed else 0))
        try:
            inner, body = self._reply()
        finally:
            self._sock.settimeout(timeout)
        if inner == protocol.GET_END:
            end = protocol.parse_get_end(body)
            return DownloadOutcome(name, end.status, target if end.status == "unchanged" else None,
                                   end.size, end.sha256, end.reason, end.text, 0, time.perf_counter() - start)
        if inner != protocol.GET_READY:
            raise protocol.ProtocolError("unexpected message 0x%02x instead of GET_READY" % inner)
        size, modified_ms, ready_offset = protocol.parse_get_ready(body)
        if ready_offset != offset:
            if ready_offset != 0:
                raise protocol.ProtocolError("the server resumed at %d where this client holds %d" % (ready_offset, offset))
            digest = hashlib.sha256()  # the staged bytes are of another file: start over
        if ready_offset == 0 and os.path.lexists(staging):
            os.unlink(staging)
        # A fresh staging file is created exclusively (nothing planted between unlink and open is
        # written into); a resumed one is opened without following a link.
        flags = os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0)
        flags |= os.O_CREAT | os.O_EXCL if ready_offset == 0 else 0
        fd = os.open(staging, flags, 0o600)
        try:
            os.ftruncate(fd, ready_offset)
            os.lseek(fd, ready_offset, os.SEEK_SET)
            position = ready_offset
            while True:
                inner, body = self._reply()
                if inner == protocol.GET_END:
                    end = protocol.parse_get_end(body)
                    break
                if inner != protocol.GET_DATA or not body:
                    raise protocol.ProtocolError("unexpected message 0x%02x instead of GET_DATA" % inner)
                if len(body) > size - position:
                    raise protocol.ProtocolError("the server sent more than the %d bytes it announced" % size)
                digest.update(body)
                view = memoryview(body)
                while view:
                    view = view[os.write(fd, view):]
                position += len(body)
            verified = end.status == "sent" and position == size and digest.digest() == end.sha256
            if verified:
                os.fsync(fd)
        finally:
            os.close(fd)
        if end.status != "sent" or not verified:
            os.unlink(staging)  # changed on the server, unreadable there, or corrupt: not trusted
            if end.status == "sent":
                end = protocol.GetEnd("refused", size, bytes(32), "hash-mismatch",
                                      "what arrived does not have the SHA-256 the server computed;"
                                      " nothing was stored: fetch it again")
            return DownloadOutcome(name, end.status, None, end.size, end.sha256, end.reason, end.text, 0,
                                   time.perf_counter() - start)
        try:
            os.utime(staging, ns=(modified_ms * 1_000_000, modified_ms * 1_000_000))
        except (OverflowError, ValueError, OSError):
            pass  # a time the file system cannot hold (a hostile server's): the file keeps "now"
        os.replace(staging, target)
        fsync_directory(directory)
        return DownloadOutcome(name, "fetched", target, size, end.sha256, "", end.text, ready_offset,
                               time.perf_counter() - start)

    def join(self, room: str, speak_only: bool = False) -> None:
        """Joins ``room`` (leaving the current one); the answer arrives as an event. With
        ``speak_only`` (flag bit 0) the server sends this member only its own JOINED and answers to
        its requests, never the room's history, messages, joins or leaves (section 5.4)."""
        data = room.encode("utf-8")
        self._channel.send(protocol.CHAT_JOIN, bytes([len(data)]) + data + (b"\x01" if speak_only else b""))

    def await_joined(self, room: str) -> None:
        """Waits for the answer to a join of ``room``: returns on the JOINED event for it, raises
        RoomRefused with the server's words on an ERROR event (a room this client may not join, a
        name the server refuses). Other events, PINGs and PONGs are passed over."""
        while True:
            inner, body = self._channel.receive()
            if inner == protocol.CHAT_EVENT:
                event = protocol.parse_chat_event(body)
                if event.kind == "joined" and event.room == room:
                    return
                if event.kind == "error":
                    raise RoomRefused(event.text)
            elif inner == protocol.PING and len(body) == 8:
                self._channel.send(protocol.PONG, body)
            elif inner == protocol.CLOSE:
                code, text = protocol.parse_close(body)
                raise SessionEnded(code, text)
            elif inner != protocol.PONG:
                raise protocol.ProtocolError("the server sent message 0x%02x in a chat" % inner)

    def say(self, text: str) -> None:
        """Says ``text`` in the current room (1 to 4096 bytes of UTF-8)."""
        self._channel.send(protocol.CHAT_SAY, text.encode("utf-8"))

    def events(self, keepalive: float = 60.0):
        """Yields chat events until the server ends the session; PINGs are answered, and a PING
        is sent after ``keepalive`` seconds of quiet (three unanswered end the session).
        Not safe to call from two threads; ``say`` may be called from another."""
        quiet = 0
        self._sock.settimeout(keepalive)
        while True:
            try:
                inner, body = self._channel.receive()
            except (socket.timeout, TimeoutError):
                quiet += 1
                if quiet >= 3:
                    raise protocol.ProtocolError("the server went silent: no answer to 3 keepalives")
                self._tokens += 1
                self._channel.send(protocol.PING, struct.pack(">Q", self._tokens))
                continue
            quiet = 0
            if inner == protocol.CHAT_EVENT:
                yield protocol.parse_chat_event(body)
            elif inner == protocol.PING and len(body) == 8:
                self._channel.send(protocol.PONG, body)
            elif inner == protocol.PONG:
                continue
            elif inner == protocol.CLOSE:
                code, text = protocol.parse_close(body)
                self._closed = True
                self._sock.close()
                raise SessionEnded(code, text)
            else:
                raise protocol.ProtocolError("the server sent message 0x%02x in a chat" % inner)

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


class RoomRefused(Exception):
    """The server refused a join; the message is its words (section 5.4's ERROR event)."""


class DatagramsUnavailable(protocol.ProtocolError):
    """The server offers this session no datagram channel."""


class DatagramSender:
    """Lines as verified datagrams on a channel of a verified session (PROTOCOL.md section 11):
    each ``say`` is one sealed datagram, numbered from 0 and paced to the server's rate with
    bursts of 1/20 s, as the Java client does. The session must stay open for the channel."""

    def __init__(self, conn: Connection, channel_id: bytes, address, keys, rate: int):
        self._conn = conn
        self._channel_id = channel_id
        self._keys = keys
        self._rate = max(1, rate)
        self._burst = max(1.0, self._rate / 20)
        self._tokens = self._burst
        self._refilled = time.monotonic()
        self._sock = socket.socket(socket.AF_INET6 if ":" in address[0] else socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.connect(address)
        self.port = address[1]
        """The server's UDP port the datagrams go to."""
        self.sent = 0

    def say(self, text: str) -> None:
        """Says ``text`` in the session's room as one datagram (fire and forget)."""
        data = text.encode("utf-8")
        if not data or len(data) > protocol.DATAGRAM_MAX_LINE:
            raise ValueError("a line of %d bytes does not fit one datagram (1 to %d bytes of UTF-8)"
                             % (len(data), protocol.DATAGRAM_MAX_LINE))
        while True:
            now = time.monotonic()
            self._tokens = min(self._burst, self._tokens + (now - self._refilled) * self._rate)
            self._refilled = now
            if self._tokens >= 1:
                self._tokens -= 1
                break
            time.sleep((1 - self._tokens) / self._rate)
        self._sock.send(protocol.seal_datagram(self._keys, self._channel_id, self.sent, protocol.DATAGRAM_SAY, data))
        self.sent += 1

    def await_received(self, patience: float = 2.0) -> tuple[int, int, int]:
        """Asks the server until it has every datagram sent, or ``patience`` seconds pass."""
        end = time.monotonic() + patience
        counts = self._conn.datagram_counts()
        while counts[0] + counts[2] < self.sent and time.monotonic() < end:
            time.sleep(0.02)
            counts = self._conn.datagram_counts()
        return counts

    def close(self) -> None:
        self._sock.close()


BUSY_RETRY = 30.0
PENALTY_WAIT = 10.0  # the longest a named penalty is sat through, from the first attempt
"""Seconds :func:`connect` keeps trying a server that answers "try later" (as the Java client)."""


def connect(
    server: str,
    credential: Credential,
    timeout: float = 10.0,
    busy_retry: float = BUSY_RETRY,
    on_penalty=None,
) -> Connection:
    """Connects, runs the handshake and verifies the server; raises on any failure.

    ``timeout`` bounds connecting and every read and write of the session. A server that answers
    "try later" (too many handshakes at once, or this client at its session cap) is tried again
    after a jittered 0.25 s doubling to 2 s for up to ``busy_retry`` seconds (0 tries once), and one
    that says this address is penalised once the penalty it named is over, if that is within
    PENALTY_WAIT (10 s) of the first attempt; then the refusal is raised. ``on_penalty``, if given,
    is told the words when a penalty is waited out ("too many failed attempts from this address;
    retrying in 5 s"), as the command line says on stderr.
    """
    start = time.monotonic()
    give_up = start + busy_retry
    penalty_give_up = start + min(busy_retry, PENALTY_WAIT)
    attempt = 0
    while True:
        attempt += 1
        try:
            return _connect_once(server, credential, timeout)
        except protocol.Refused as refused:
            if refused.code not in (protocol.REFUSED_TRY_LATER, protocol.REFUSED_PENALIZED):
                raise
            step = min(2.0, 0.25 * 2 ** min(attempt - 1, 8))
            wait = step / 2 + _JITTER.uniform(0, step / 2)
            if refused.code == protocol.REFUSED_PENALIZED:
                # tried sooner, a penalised address is only refused again
                wait = refused.retry_after + _JITTER.uniform(0.125, 0.25)
            limit = penalty_give_up if refused.code == protocol.REFUSED_PENALIZED else give_up
            if time.monotonic() + wait > limit:
                raise
            if refused.code == protocol.REFUSED_PENALIZED and on_penalty is not None:
                on_penalty(
                    "too many failed attempts from this address; retrying in %d s"
                    % max(1, refused.retry_after)
                )
            time.sleep(wait)


_JITTER = random.SystemRandom()


class ConnectFailed(ConnectionError):
    """No connection to the server could be made; the text names the address tried and why, as
    auth-client says it: ``gate:7350: connection refused``."""


class HostNotFound(ConnectionError):
    """The server's host name does not resolve; the text is the name."""


STEPS = None
"""A callable told each step of every connection (``--verbose``), as auth-client says them; never
a secret. None: nothing is said."""


def _step(text: str) -> None:
    if STEPS is not None:
        STEPS(text)


def _ms(since: float) -> str:
    return "%.1f ms" % ((time.perf_counter() - since) * 1000)


def _endpoint(address) -> str:
    host, port = address[0], address[1]
    return "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)


_WARNED = set()


def _warn_once(path: str, text: str) -> None:
    if path not in _WARNED:
        _WARNED.add(path)
        print("authgate: %s" % protocol.escape(text), file=sys.stderr, flush=True)


def _until(refuse_after: int) -> str:
    """What a warning adds about the server's deadline for the current key (0: none)."""
    if not refuse_after:
        return ""
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(refuse_after))
    return "; the server refuses that key from %s (give this client a credential file it can write before then)" % when


def _rotate(conn: "Connection", used: Credential, timeout: float, refuse_after: int = 0) -> None:
    """Section 5.7: the server asked this client to rotate its key. A new secret is made here,
    only its verifiers are sent, and the credential file is replaced once the server stored them,
    holding the lock auth-client takes; if another process rotated the file already, nothing is
    done. A file that cannot be written is said once, and the key it holds keeps working."""
    path = used.trust.path
    until = _until(refuse_after)
    try:
        lock = RotationLock(path, timeout)
        with lock as held:
            if not held:
                _step("the server asked to rotate; another process is rotating %s" % path)
                return
            now = Credential.load(lock.target)
            if now.key_id != used.key_id or now.secret != used.secret:
                _step("the server asked to rotate; %s was rotated already" % path)
                return
            secret = os.urandom(32)
            keys = protocol.ScramKeys.of(secret)
            start = time.perf_counter()
            conn._channel.send(protocol.ROTATE_KEY, keys.stored_key + keys.server_key)
            inner, body = conn._reply()
            if inner != protocol.ROTATE_RESULT:
                raise protocol.ProtocolError("unexpected message 0x%02x instead of ROTATE_RESULT" % inner)
            result = protocol.parse_rotate_result(body)
            if not result.stored:
                _warn_once(
                    path,
                    "the server did not store this client's new key (%s): %s; it keeps using key %s%s"
                    % (result.reason, result.text, used.key_id, until),
                )
                return
            if not _VALID_ID.fullmatch(result.key_id):
                raise protocol.ProtocolError(
                    "the server sent an invalid key id '%s' in ROTATE_RESULT; nothing was written"
                    % protocol.escape(result.key_id[:64])
                )
            rotated = Credential(now.client_id, result.key_id, secret, now.host_keys)
            _step("the server stored key %s; saving it in %s" % (result.key_id, path))
            pause = os.environ.get("AUTHGATE_TEST_ROTATION_PAUSE_MS", "")
            if pause.isdigit() and len(pause) <= 5:
                # crash tests only: hold between the server's store and this save, to be killed there
                time.sleep(int(pause) / 1000)
            try:
                save_rotated(lock.target, now, rotated)
            except OSError as e:
                _warn_once(
                    path,
                    "cannot save a rotated key in %s (%s); this client keeps using key %s and the"
                    " server will ask again%s" % (path, e.strerror or e, used.key_id, until),
                )
                return
            _step(
                "rotated this client's key as the server asked: %s replaces %s (%s)"
                % (result.key_id, used.key_id, _ms(start))
            )
    except (CredentialError, OSError) as e:
        if isinstance(e, (socket.timeout, ConnectionError, EOFError)):
            raise
        _warn_once(
            path,
            "cannot rotate the key in %s (%s); this client keeps using key %s and the server will"
            " ask again%s" % (path, getattr(e, "strerror", None) or e, used.key_id, until),
        )


def _connect_once(server: str, credential: Credential, timeout: float) -> Connection:
    host, port = parse_server(server)
    address = "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)
    _step("connecting to %s" % address)
    start = time.perf_counter()
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except socket.gaierror:
        raise HostNotFound(host) from None
    except (socket.timeout, TimeoutError):
        raise ConnectFailed("%s: no answer within %d s" % (address, max(1, int(timeout)))) from None
    except OSError as e:
        why = (e.strerror or str(e) or "failed").rstrip(".")
        raise ConnectFailed("%s: %s" % (address, why[:1].lower() + why[1:])) from None
    try:
        peer = sock.getpeername()
        if peer[0] != host and "[%s]" % peer[0] != host:
            _step("%s is %s" % (host, peer[0]))
        _step("connected to %s from %s in %s" % (_endpoint(peer), _endpoint(sock.getsockname()), _ms(start)))
        connected = time.perf_counter()
        sock.settimeout(timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def check(fingerprint):
            _step("HELLO after %s, signed by host key %s" % (_ms(connected), fingerprint))
            credential.trust(fingerprint)
            _step("this credential trusts that host key")

        greeting = protocol.read_greeting(sock, address, timeout)
        _, frame_type, payload = greeting
        # The file is read only now, after HELLO: a server lets in a key replaced after its HELLO
        # went out (another process of this machine rotated the file meanwhile), and locks the id
        # for one replaced before (docs/PROTOCOL.md section 5.7).
        credential = latest(credential)
        handshake = protocol.ClientHandshake(
            credential.client_id,
            credential.key_id,
            credential.keys,
            os.urandom(32),
            X25519PrivateKey.generate(),
            check if STEPS is not None else credential.trust,
        )
        auth = handshake.on_hello(frame_type, payload)
        if greeting.auth_header_sent:
            # its header went out while the port was silent: the rest of the same bytes follow
            if auth[:5] != protocol.AUTH_HEADER:
                raise RuntimeError("AUTH's header is not the one sent early")
            auth = auth[5:]
        sock.sendall(auth)
        _step("sent AUTH as %s (key %s), sealed" % (credential.client_id, credential.key_id))
        head, frame_type, payload = protocol.read_frame(sock, protocol.PRE_AUTH_MAX)
        server_id, c2s, s2c = handshake.on_welcome(head, frame_type, payload)
        credential.trust.learned(handshake.host_key, handshake.next_host_keys, handshake.retired_host_keys)
        _step(
            "verified server '%s': it proved it holds this client's verifier (handshake %s)"
            % (protocol.escape(server_id), _ms(connected))
        )
        conn = Connection(sock, server_id, protocol.SecureChannel(sock, c2s, s2c), handshake.datagram_secret)
        logged_in(credential)
        if handshake.rotation_asked is not None and credential.trust.path:
            _rotate(conn, credential, timeout, handshake.rotation_asked)
        return conn
    except BaseException:
        sock.close()
        raise


def enroll(server: str, token, out: str, client_id: str = "", timeout: float = 10.0, host_key: str | None = None):
    """Enrolls this machine with ``token`` (an :class:`EnrollmentToken`): makes its secret here,
    sends the server only its verifiers over a session verified with the token, and writes the
    credential to ``out`` (mode 0600, never overwriting a file) once the server stored them.

    Returns ``(result, server_id)``; a refusal is a result, nothing is written then.
    Raises FileExistsError if ``out`` exists.
    """
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    written = False
    try:
        secret = os.urandom(32)
        keys = protocol.ScramKeys.of(secret)
        claimed = token.credential(host_key)
        with connect(server, claimed, timeout) as conn:
            conn._channel.send(protocol.ENROLL, protocol.enroll_body(client_id, keys.stored_key, keys.server_key))
            inner, body = conn._reply()
            if inner != protocol.ENROLL_RESULT:
                raise protocol.ProtocolError("unexpected message 0x%02x instead of ENROLL_RESULT" % inner)
            result = protocol.parse_enroll_result(body)
            server_id = conn.server_id
        if result.status != "refused":
            for value in (result.client_id, result.key_id):
                if not _VALID_ID.fullmatch(value):
                    # A hostile or broken server's id is never written into a credential (a
                    # newline in it would add lines of the server's choosing).
                    raise protocol.ProtocolError(
                        "the server sent an invalid id '%s' in ENROLL_RESULT; nothing was written"
                        % protocol.escape(value[:64])
                    )
            # Pinned: the key that signed this session and any next key it announced.
            pins = tuple(claimed.trust.pins)
            os.write(fd, Credential(result.client_id, result.key_id, secret, pins).format().encode("utf-8"))
            os.fsync(fd)
            written = True
        return result, server_id
    finally:
        os.close(fd)
        if not written:
            os.unlink(out)
