"""The authgate wire protocol, version 2, as docs/PROTOCOL.md specifies it.

Framing (section 3), the handshake and key schedule (section 4), sealed session frames (section 5)
and the session messages this client sends and reads. Only the ``cryptography`` package is used
for X25519, Ed25519, HKDF and AES-GCM; SHA-256 and HMAC come from the standard library.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
import struct
import time
import unicodedata
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

VERSION = 2
HELLO, AUTH, WELCOME, REFUSED, SEALED = 0x01, 0x02, 0x03, 0x04, 0x10
PRE_AUTH_MAX = 4096
SEALED_MAX = 1_048_593
HELLO_SIGNED_BYTES = 98
HELLO_BYTES = 162
HELLO_SIGNATURE_LABEL = b"authgate/2 hello"
NEXT_KEY, RETIRED_KEY, ROTATE_ANNOUNCEMENT = 1, 2, 3
MAX_ANNOUNCED = 8
AUTH_CLEAR_BYTES = 66
IDENTITY_BYTES = 192

PING, PONG, CLOSE = 0x01, 0x02, 0x0F
UPLOAD_BEGIN, UPLOAD_READY, UPLOAD_DATA, UPLOAD_END, UPLOAD_RESULT = 0x20, 0x21, 0x22, 0x23, 0x24
UPLOAD_OVERWRITE, UPLOAD_RESUME = 0x01, 0x02
MAX_CHUNK = 1 << 20
ENROLL, ENROLL_RESULT = 0x40, 0x41
ROTATE_KEY, ROTATE_RESULT = 0x70, 0x71
ENROLL_STATUS = {0: "enrolled", 1: "pending", 2: "refused"}
CHAT_JOIN, CHAT_SAY, CHAT_WHO, CHAT_ROOMS, CHAT_LEAVE, CHAT_EVENT = 0x30, 0x31, 0x32, 0x33, 0x34, 0x38
LIST_FILES, FILE_LISTING, GET_FILE, GET_READY, GET_DATA, GET_END = 0x50, 0x51, 0x52, 0x53, 0x54, 0x55
LIST_REFUSED = 0x56
GET_IF_CHANGED = 0x01
EVENT_KINDS = {1: "message", 2: "joined", 3: "left", 4: "who", 5: "rooms", 6: "error", 7: "history", 8: "notice"}

REFUSED_AUTH = 0x01
REFUSED_TRY_LATER = 0x05
REFUSED_PENALIZED = 0x06
REFUSED_PENDING = 0x07
REFUSED_REVOKED = 0x08
REFUSED_EXPIRED = 0x09
REFUSED_LOCKED = 0x0A

REFUSAL_TEXT = {
    0x01: "authentication refused",
    0x02: "protocol error",
    0x03: "unsupported version",
    0x04: "handshake timeout",
    0x05: "try later",
    0x07: "waiting for approval: the operator has not let this machine in yet"
    " (on the server: auth-server keys approve %s)",
    0x08: "the operator revoked this key (or denied this machine)",
    0x09: "this key has expired: ask the operator for a new credential",
    0x0A: "the server locked %s: a copy of this credential was used after the other copy rotated"
    " its key (on the server: auth-server keys unlock %s, or keys rotate it)",
}


class ProtocolError(Exception):
    """The peer broke the protocol, or a frame failed to open."""


class Refused(Exception):
    """The server sent REFUSED; ``code`` is its byte (section 6), ``retry_after`` the seconds a
    penalty has left (code 0x06 only, else 0)."""

    def __init__(self, code: int, retry_after: int = 0, client_id: str = "ID"):
        if code == REFUSED_PENDING:
            text = REFUSAL_TEXT[code] % client_id
        elif code == REFUSED_LOCKED:
            text = REFUSAL_TEXT[code] % (client_id, client_id)
        elif code == REFUSED_PENALIZED:
            text = (
                "too many failed attempts from this address: the server refuses it for another %d s"
                % retry_after
            )
        else:
            text = REFUSAL_TEXT.get(code, "refused (code 0x%02x)" % code)
        super().__init__(text)
        self.code = code
        self.retry_after = retry_after


def parse_refused(payload: bytes, client_id: str = "ID") -> Refused:
    """Section 6: one code byte; code 0x06 (penalised) adds the seconds left as a u16. Errors are
    worded as auth-client words them."""
    if not payload:
        raise ProtocolError("REFUSED payload is empty")
    if payload[0] != REFUSED_PENALIZED and payload[0] not in REFUSAL_TEXT:
        raise ProtocolError("unknown refusal code 0x%02x" % payload[0])
    expected = 3 if payload[0] == REFUSED_PENALIZED else 1
    if len(payload) != expected:
        raise ProtocolError(
            "REFUSED%s payload is %d bytes; expected %d"
            % (" (penalized)" if expected == 3 else "", len(payload), expected)
        )
    if len(payload) == 3 and payload[0] == REFUSED_PENALIZED:
        (seconds,) = struct.unpack(">H", payload[1:3])
        if seconds == 0:  # at least 1: a 0 would make a client knock again at once
            raise ProtocolError("REFUSED (penalized) says 0 s left; it says at least 1")
        return Refused(REFUSED_PENALIZED, seconds)
    if len(payload) == 1 and payload[0] in REFUSAL_TEXT:
        return Refused(payload[0], client_id=client_id)
    raise ProtocolError("REFUSED payload is invalid (%d bytes, code 0x%02x)" % (len(payload), payload[0] if payload else 0))


class ServerNotVerified(Exception):
    """The server could not prove it holds this client's verifier, or its HELLO is not signed by
    the host key it names."""


class HostKeyNotTrusted(ServerNotVerified):
    """The server signed with a host key this client does not pin (section 4.1)."""


def fingerprint_of_hash(digest: bytes) -> str:
    """``SHA256:`` and the unpadded base64 of a host key's SHA-256, as OpenSSH shows keys."""
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def host_key_fingerprint(public_key: bytes) -> str:
    return fingerprint_of_hash(hashlib.sha256(public_key).digest())


_P = 2**255 - 19
# The y coordinates of the eight points of small order (RFC 8032 keys a verifier must refuse: with
# one of them as the public key, a signature can verify for every message), sign bit cleared.
_SMALL_ORDER_Y = {
    0,
    1,
    _P - 1,
    int.from_bytes(bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"), "little"),
    int.from_bytes(bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"), "little"),
}


def is_weak_host_key(public_key: bytes) -> bool:
    """Whether a 32-byte Ed25519 public key is non-canonical (y >= p) or of small order: refused
    as a host key, as BouncyCastle's full validation refuses it on the Java side."""
    if len(public_key) != 32:
        return True
    y = int.from_bytes(public_key, "little") & ((1 << 255) - 1)
    return y >= _P or y in _SMALL_ORDER_Y


def is_fingerprint(text: str) -> bool:
    return (
        isinstance(text, str)
        and len(text) == 50
        and text.startswith("SHA256:")
        and all(c.isascii() and (c.isalnum() or c in "+/") for c in text[7:])
    )


def mismatch(pins: list[str], presented: str, where: str) -> HostKeyNotTrusted:
    """The refusal of an unpinned key: what was expected, what was presented, what to do."""
    place = " in " + where if where else ""
    if not pins:
        return HostKeyNotTrusted(
            "the server's host key is %s and no host key is pinned%s: compare it with"
            " 'auth-server keys host-key' on the server, then pin it ('auth-client pin') or"
            " connect once with --accept-new" % (presented, place)
        )
    return HostKeyNotTrusted(
        "the server's host key %s is not the one pinned%s (%s): someone may be posing as the"
        " server, or its host key was rotated and retired while this machine was away; if"
        " 'auth-server keys host-key' on the server shows %s, pin it with 'auth-client pin',"
        " else do not connect" % (presented, place, ", ".join(pins), presented)
    )


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def hmac_sha256(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


def hkdf_extract(salt: bytes, ikm: bytes) -> bytes:
    """RFC 5869 Extract with SHA-256 (it is HMAC(salt, ikm))."""
    return hmac_sha256(salt, ikm)


def hkdf_expand(prk: bytes, info: str, length: int) -> bytes:
    return HKDFExpand(algorithm=hashes.SHA256(), length=length, info=info.encode("ascii")).derive(prk)


@dataclass(frozen=True)
class ScramKeys:
    """Section 4.5: the keys of a 32-byte secret S."""

    client_key: bytes
    stored_key: bytes
    server_key: bytes

    @staticmethod
    def of(secret: bytes) -> "ScramKeys":
        client_key = hmac_sha256(secret, b"Client Key")
        return ScramKeys(client_key, sha256(client_key), hmac_sha256(secret, b"Server Key"))

    def client_proof(self, auth_message: bytes) -> bytes:
        signature = hmac_sha256(self.stored_key, auth_message)
        return bytes(a ^ b for a, b in zip(self.client_key, signature))

    def server_signature(self, auth_message: bytes) -> bytes:
        return hmac_sha256(self.server_key, auth_message)


def header(frame_type: int, length: int) -> bytes:
    return struct.pack(">BI", frame_type, length)


def frame(frame_type: int, payload: bytes) -> bytes:
    return header(frame_type, len(payload)) + payload


def read_exactly(sock: socket.socket, n: int) -> bytes:
    chunks = []
    total = n
    while n > 0:
        chunk = sock.recv(min(n, 1 << 20))
        if not chunk:
            raise EOFError("the connection ended inside a frame (after %d of %d bytes)" % (total - n, total))
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def read_frame(sock: socket.socket, cap: int) -> tuple[bytes, int, bytes]:
    """Reads one frame; checks the length against ``cap`` before reading the payload."""
    head = read_exactly(sock, 5)
    frame_type, length = struct.unpack(">BI", head)
    if length > cap:
        raise ProtocolError("frame length %d is over the cap %d" % (length, cap))
    return head, frame_type, read_exactly(sock, length)


class ServerSilent(TimeoutError):
    """The server accepted the connection but sent nothing within the timeout, where an authgate
    server sends HELLO at once: most likely another service's port."""


QUOTED = 60
"""The most bytes of a foreign greeting quoted."""


def quote_greeting(data: bytes) -> str:
    """A foreign greeting's first line as auth-client shows it: up to 60 bytes, printable ASCII as
    is, every other byte as ``\\xNN``."""
    text = []
    for b in data[:QUOTED]:
        if b in (0x0D, 0x0A):
            return "".join(text)
        text.append(chr(b) if 0x20 <= b < 0x7F and b not in (0x5C, 0x22) else "\\x%02x" % b)
    return "".join(text) + ("..." if len(data) > QUOTED else "")


def could_start_a_greeting(head: bytes) -> bool:
    """Whether the first bytes could begin a HELLO or a REFUSED (section 3)."""
    if head[0] not in (HELLO, REFUSED):
        return False
    if len(head) < 5:
        return True
    (length,) = struct.unpack(">I", head[1:5])
    return 2 <= length <= PRE_AUTH_MAX if head[0] == HELLO else 1 <= length <= 16


AUTH_HEADER = b"\x02\x00\x00\x01\x12"  # AUTH's payload is always 274 bytes
PROBE_AFTER = 0.5  # seconds a port may be silent before it is sent AUTH_HEADER


class Greeting(tuple):
    """The first frame (head, type, payload), and whether AUTH_HEADER was sent already."""

    auth_header_sent = False


def read_greeting(sock: socket.socket, address: str, timeout: float) -> "Greeting":
    """The first frame, HELLO or REFUSED, which a server sends at once. Anything else is named as
    not an authgate server, quoting it; nothing at all, as a silent port. After PROBE_AFTER of
    silence AUTH's constant header is sent (an authgate server reads it as the start of AUTH), so a
    service that waits for its client to speak first answers or closes, and is named at once."""
    head = b""
    probed = False
    start = time.monotonic()
    probing = PROBE_AFTER < timeout
    if probing:
        sock.settimeout(PROBE_AFTER)
    try:
        while len(head) < 5:
            try:
                chunk = sock.recv(5 - len(head))
            except (socket.timeout, TimeoutError):
                if not probing:
                    raise
                probing = False
                probed = True
                sock.settimeout(max(0.001, timeout - (time.monotonic() - start)))
                sock.sendall(AUTH_HEADER)
                continue
            if not chunk:
                break
            if probing:
                # only the wait for the first byte is short: the rest has the whole timeout
                probing = False
                sock.settimeout(max(0.001, timeout - (time.monotonic() - start)))
            head += chunk
    except (socket.timeout, TimeoutError):
        if head:
            raise
        raise ServerSilent(
            "%s accepted the connection but sent nothing in %d s: an authgate server sends HELLO"
            " at once (is this another service's port?)" % (address, max(1, int(timeout)))
        ) from None
    except (ConnectionResetError, BrokenPipeError):
        if head or not probed:
            raise
        # reset (or the probe refused) by a service that hung up on AUTH's header
        raise EOFError(
            "%s reset the connection without sending HELLO (is this another service's port?)" % address
        ) from None
    finally:
        sock.settimeout(timeout)
    if not head:
        raise EOFError(
            "%s closed the connection without sending HELLO%s"
            % (address, " (is this another service's port?)" if probed else "")
        )
    if not could_start_a_greeting(head):
        more = b""
        sock.setblocking(False)
        try:
            while len(head) + len(more) <= QUOTED:
                chunk = sock.recv(QUOTED + 1 - len(head) - len(more))
                if not chunk:
                    break
                more += chunk
        except (BlockingIOError, InterruptedError):
            pass
        finally:
            sock.settimeout(timeout)
        raise ProtocolError(
            '%s is not an authgate server: it sent "%s" where HELLO belongs'
            % (address, quote_greeting(head + more))
        )
    if len(head) < 5:
        raise EOFError("the connection ended inside a frame (after %d of 5 bytes)" % len(head))
    (length,) = struct.unpack(">I", head[1:5])
    greeting = Greeting((head, head[0], read_exactly(sock, length)))
    greeting.auth_header_sent = probed
    return greeting


def nonce(iv: bytes, n: int) -> bytes:
    """Section 5.1: the counter XORed into the IV's last 8 bytes."""
    counter = struct.pack(">Q", n)
    return iv[:4] + bytes(a ^ b for a, b in zip(iv[4:], counter))


@dataclass(frozen=True)
class DirectionKeys:
    key: bytes
    iv: bytes


@dataclass(frozen=True)
class KeySchedule:
    """Section 4.4, from the HELLO payload, the AUTH clear part and the X25519 shared secret."""

    transcript: bytes
    shared: bytes
    hs_c2s: DirectionKeys
    hs_s2c: DirectionKeys

    @staticmethod
    def of(hello_payload: bytes, auth_clear: bytes, shared: bytes) -> "KeySchedule":
        if shared == bytes(32):
            raise ProtocolError("the X25519 shared secret is all zero")
        prk = hkdf_extract(sha256(hello_payload + auth_clear), shared)
        return KeySchedule(
            hello_payload + auth_clear,
            shared,
            DirectionKeys(hkdf_expand(prk, "authgate/1 hs c2s key", 32), hkdf_expand(prk, "authgate/1 hs c2s iv", 12)),
            DirectionKeys(hkdf_expand(prk, "authgate/1 hs s2c key", 32), hkdf_expand(prk, "authgate/1 hs s2c iv", 12)),
        )

    def auth_message(self, client_id: str, key_id: str) -> bytes:
        cid, kid = client_id.encode("utf-8"), key_id.encode("utf-8")
        return sha256(self.transcript + bytes([len(cid)]) + cid + bytes([len(kid)]) + kid)

    def datagram_secret(self, auth_message: bytes, client_key: bytes) -> bytes:
        """Section 4.4's dg_secret, which datagram channels' keys come from (section 11.2)."""
        prk = hkdf_extract(auth_message, self.shared + client_key)
        return hkdf_expand(prk, "authgate/1 dg", 32)

    def session(self, auth_message: bytes, client_key: bytes) -> tuple[DirectionKeys, DirectionKeys]:
        prk = hkdf_extract(auth_message, self.shared + client_key)
        return (
            DirectionKeys(hkdf_expand(prk, "authgate/1 c2s key", 32), hkdf_expand(prk, "authgate/1 c2s iv", 12)),
            DirectionKeys(hkdf_expand(prk, "authgate/1 s2c key", 32), hkdf_expand(prk, "authgate/1 s2c iv", 12)),
        )


def identity_plaintext(client_id: str, key_id: str, proof: bytes) -> bytes:
    cid, kid = client_id.encode("utf-8"), key_id.encode("utf-8")
    if not (1 <= len(cid) <= 64 and 1 <= len(kid) <= 64):
        raise ValueError("client and key ids are 1 to 64 bytes")
    plain = bytes([len(cid)]) + cid + bytes([len(kid)]) + kid + proof
    return plain + bytes(IDENTITY_BYTES - len(plain))


@dataclass
class ClientHandshake:
    """The client's side of section 4: HELLO in (its host-key signature verified and the key
    checked by ``check_host_key`` before anything is sent), AUTH out, WELCOME in."""

    client_id: str
    key_id: str
    keys: ScramKeys
    nonce: bytes
    ephemeral: X25519PrivateKey
    check_host_key: "object" = None
    schedule: KeySchedule | None = None
    auth_message: bytes | None = None
    datagram_secret: bytes | None = None
    host_key: str | None = None
    next_host_keys: tuple = ()
    retired_host_keys: tuple = ()
    rotation_asked: int | None = None
    """Section 5.7: the WELCOME asked this client to rotate its key (the Unix second the server
    stops taking it, 0 for never); None if not."""

    def on_hello(self, frame_type: int, payload: bytes) -> bytes:
        if frame_type == REFUSED:
            raise parse_refused(payload, self.client_id)
        if frame_type != HELLO or len(payload) < 2:
            raise ProtocolError("expected HELLO")
        (version,) = struct.unpack(">H", payload[:2])
        if version != VERSION:
            older = version < VERSION
            raise UnsupportedVersion(
                "the server speaks protocol version %d%s; this side speaks %d: upgrade %s"
                " (docs/PROTOCOL.md, \"Versions\")"
                % (version, " (older: before host keys)" if older else "", VERSION,
                   "the server" if older else "this side")
            )
        if len(payload) != HELLO_BYTES:
            raise ProtocolError("HELLO is %d bytes, not %d" % (len(payload), HELLO_BYTES))
        host_public = payload[66:98]
        fingerprint = host_key_fingerprint(host_public)
        if is_weak_host_key(host_public):
            raise ServerNotVerified("the server's HELLO names a host key that is not a valid Ed25519 key")
        try:
            Ed25519PublicKey.from_public_bytes(host_public).verify(
                payload[98:162], HELLO_SIGNATURE_LABEL + payload[:HELLO_SIGNED_BYTES]
            )
        except (InvalidSignature, ValueError):
            raise ServerNotVerified(
                "the server's HELLO is not signed by the host key it names (%s)" % fingerprint
            ) from None
        if self.check_host_key is None:
            raise HostKeyNotTrusted("no host key is trusted for this connection")
        self.check_host_key(fingerprint)
        self.host_key = fingerprint
        server_pub = X25519PublicKey.from_public_bytes(payload[34:66])
        shared = self.ephemeral.exchange(server_pub)
        client_pub = self.ephemeral.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        clear = struct.pack(">H", VERSION) + self.nonce + client_pub
        self.schedule = KeySchedule.of(payload, clear, shared)
        self.auth_message = self.schedule.auth_message(self.client_id, self.key_id)
        plain = identity_plaintext(self.client_id, self.key_id, self.keys.client_proof(self.auth_message))
        head = header(AUTH, AUTH_CLEAR_BYTES + IDENTITY_BYTES + 16)
        sealed = AESGCM(self.schedule.hs_c2s.key).encrypt(self.schedule.hs_c2s.iv, plain, head + clear)
        return head + clear + sealed

    def on_welcome(self, head: bytes, frame_type: int, payload: bytes) -> tuple[str, DirectionKeys, DirectionKeys]:
        if frame_type == REFUSED:
            raise parse_refused(payload, self.client_id)
        if frame_type != WELCOME:
            raise ProtocolError("expected WELCOME")
        assert self.schedule is not None and self.auth_message is not None
        try:
            plain = AESGCM(self.schedule.hs_s2c.key).decrypt(self.schedule.hs_s2c.iv, payload, head)
        except InvalidTag:
            raise ServerNotVerified("the server's WELCOME did not open under the handshake key") from None
        id_end = 33 + plain[32] if len(plain) >= 33 else -1
        if id_end < 34 or len(plain) < id_end + 1:
            raise ProtocolError("WELCOME layout is invalid")
        if not hmac.compare_digest(plain[:32], self.keys.server_signature(self.auth_message)):
            raise ServerNotVerified("the server could not prove it holds the verifier for client " + self.client_id)
        server_id = plain[33:id_end].decode("utf-8", "strict")
        count = plain[id_end]
        if count > MAX_ANNOUNCED + 1 or len(plain) != id_end + 1 + 33 * count:
            raise ProtocolError("WELCOME's host key announcements are invalid")
        next_keys, retired = [], []
        self.rotation_asked = None
        for i in range(count):
            at = id_end + 1 + 33 * i
            kind, value = plain[at], plain[at + 1 : at + 33]
            if kind == NEXT_KEY:
                try:
                    Ed25519PublicKey.from_public_bytes(value)
                    if is_weak_host_key(value):
                        raise ValueError("weak")
                except ValueError:
                    raise ProtocolError("WELCOME announces a next host key that is not an Ed25519 key") from None
                next_keys.append(host_key_fingerprint(value))
            elif kind == RETIRED_KEY:
                retired.append(fingerprint_of_hash(value))
            elif kind == ROTATE_ANNOUNCEMENT:
                # section 5.7: rotate the key in this session; refuse_after u64 | 24 zero bytes
                (refuse_after,) = struct.unpack(">Q", value[:8])
                # past 9999-12-31T23:59:59Z no date names it: a hostile server's bytes
                if self.rotation_asked is not None or any(value[8:]) or refuse_after > 253402300799:
                    raise ProtocolError("WELCOME's rotate announcement is invalid")
                self.rotation_asked = refuse_after or 0
            else:
                raise ProtocolError("WELCOME announces a host key of unknown kind %d" % kind)
        if len(next_keys) + len(retired) > MAX_ANNOUNCED:
            raise ProtocolError("WELCOME's host key announcements are invalid")
        self.next_host_keys, self.retired_host_keys = tuple(next_keys), tuple(retired)
        c2s, s2c = self.schedule.session(self.auth_message, self.keys.client_key)
        self.datagram_secret = self.schedule.datagram_secret(self.auth_message, self.keys.client_key)
        return server_id, c2s, s2c


class UnsupportedVersion(ProtocolError):
    """The server speaks another protocol version."""


class SecureChannel:
    """Section 5: sealed frames, one counter per direction."""

    def __init__(self, sock: socket.socket, send_keys: DirectionKeys, receive_keys: DirectionKeys):
        self._sock = sock
        self._send = send_keys
        self._receive = receive_keys
        self._sent = 0
        self._received = 0

    def seal(self, inner_type: int, body: bytes) -> bytes:
        plain = bytes([inner_type]) + body
        head = header(SEALED, len(plain) + 16)
        sealed = AESGCM(self._send.key).encrypt(nonce(self._send.iv, self._sent), plain, head)
        self._sent += 1
        return head + sealed

    def send(self, inner_type: int, body: bytes) -> None:
        self._sock.sendall(self.seal(inner_type, body))

    def receive(self) -> tuple[int, bytes]:
        head, frame_type, payload = read_frame(self._sock, SEALED_MAX)
        if frame_type != SEALED:
            raise ProtocolError("expected a sealed frame, got type 0x%02x" % frame_type)
        try:
            plain = AESGCM(self._receive.key).decrypt(nonce(self._receive.iv, self._received), payload, head)
        except InvalidTag:
            raise ProtocolError("a sealed frame failed to open: altered, reordered or replayed") from None
        self._received += 1
        if not plain:
            raise ProtocolError("empty session message")
        return plain[0], plain[1:]


def close_body(code: int, text: str) -> bytes:
    data = text.encode("utf-8")[:255]
    return bytes([code, len(data)]) + data


def parse_close(body: bytes) -> tuple[int, str]:
    if len(body) < 2 or len(body) != 2 + body[1]:
        raise ProtocolError("CLOSE body has a bad length")
    return body[0], body[2:].decode("utf-8", "strict")


def upload_begin_body(name: str, size: int, overwrite: bool, resume: bool) -> bytes:
    data = name.encode("utf-8")
    flags = (UPLOAD_OVERWRITE if overwrite else 0) | (UPLOAD_RESUME if resume else 0)
    return struct.pack(">BQH", flags, size, len(data)) + data


def parse_upload_ready(body: bytes) -> tuple[int, bytes]:
    if len(body) != 40:
        raise ProtocolError("UPLOAD_READY body must be 40 bytes")
    return struct.unpack(">Q", body[:8])[0], body[8:]


@dataclass(frozen=True)
class UploadResult:
    """Section 5.3: how one upload ended."""

    stored: bool
    size: int
    sha256: bytes
    reason: str
    text: str


def _parse_outcome(body: bytes, what: str, largest_status: int) -> tuple[int, int, bytes, str, str]:
    """``status u8 | size u64 | sha256[32] | reason_len u8 | reason | text_len u16 | text``, the
    shape UPLOAD_RESULT and GET_END share."""
    try:
        status, size = struct.unpack(">BQ", body[:9])
        sha = body[9:41]
        at = 41
        reason_len = body[at]
        reason = body[at + 1 : at + 1 + reason_len].decode("utf-8", "strict")
        at += 1 + reason_len
        (text_len,) = struct.unpack(">H", body[at : at + 2])
        text = body[at + 2 : at + 2 + text_len].decode("utf-8", "strict")
        if status > largest_status or len(sha) != 32 or at + 2 + text_len != len(body):
            raise ProtocolError("%s layout is invalid" % what)
    except (struct.error, IndexError, UnicodeDecodeError):
        raise ProtocolError("%s layout is invalid" % what) from None
    return status, size, sha, reason, text


def parse_upload_result(body: bytes) -> UploadResult:
    flag, size, sha, reason, text = _parse_outcome(body, "UPLOAD_RESULT", 1)
    return UploadResult(flag == 1, size, sha, reason, text)


@dataclass(frozen=True)
class ChatEvent:
    """Section 5.4: one chat event; ``kind`` is its lower-case name."""

    kind: str
    ts: int
    room: str
    sender: str
    text: str


def parse_chat_event(body: bytes) -> ChatEvent:
    try:
        kind, ts = struct.unpack(">BQ", body[:9])
        at = 9
        room = body[at + 1 : at + 1 + body[at]]
        at += 1 + body[at]
        sender = body[at + 1 : at + 1 + body[at]]
        at += 1 + body[at]
        (text_len,) = struct.unpack(">H", body[at : at + 2])
        text = body[at + 2 : at + 2 + text_len]
        if kind not in EVENT_KINDS or at + 2 + text_len != len(body):
            raise ProtocolError("CHAT_EVENT layout is invalid")
        return ChatEvent(
            EVENT_KINDS[kind], ts, room.decode("utf-8", "strict"), sender.decode("utf-8", "strict"),
            text.decode("utf-8", "strict"),
        )
    except (struct.error, IndexError, UnicodeDecodeError):
        raise ProtocolError("CHAT_EVENT layout is invalid") from None


def enroll_body(client_id: str, stored_key: bytes, server_key: bytes) -> bytes:
    data = client_id.encode("utf-8")
    if len(data) > 64:
        raise ValueError("a client id is at most 64 bytes")
    return bytes([len(data)]) + data + stored_key + server_key


@dataclass(frozen=True)
class EnrollResult:
    """Section 5.5: ``status`` is enrolled, pending or refused."""

    status: str
    client_id: str
    key_id: str
    reason: str
    text: str


def parse_enroll_result(body: bytes) -> EnrollResult:
    try:
        status = body[0]
        at = 1
        fields = []
        for _ in range(3):
            n = body[at]
            fields.append(body[at + 1 : at + 1 + n].decode("utf-8", "strict"))
            if len(body[at + 1 : at + 1 + n]) != n:
                raise ProtocolError("ENROLL_RESULT layout is invalid")
            at += 1 + n
        (text_len,) = struct.unpack(">H", body[at : at + 2])
        text = body[at + 2 : at + 2 + text_len].decode("utf-8", "strict")
        if status not in ENROLL_STATUS or at + 2 + text_len != len(body):
            raise ProtocolError("ENROLL_RESULT layout is invalid")
    except (struct.error, IndexError, UnicodeDecodeError):
        raise ProtocolError("ENROLL_RESULT layout is invalid") from None
    return EnrollResult(ENROLL_STATUS[status], fields[0], fields[1], fields[2], text)


@dataclass(frozen=True)
class RotateResult:
    """Section 5.7: whether the server stored the new key, and its id."""

    stored: bool
    key_id: str
    reason: str
    text: str


def parse_rotate_result(body: bytes) -> RotateResult:
    try:
        status = body[0]
        at = 1
        fields = []
        for _ in range(2):
            n = body[at]
            if len(body[at + 1 : at + 1 + n]) != n:
                raise ProtocolError("ROTATE_RESULT layout is invalid")
            fields.append(body[at + 1 : at + 1 + n].decode("utf-8", "strict"))
            at += 1 + n
        (text_len,) = struct.unpack(">H", body[at : at + 2])
        text = body[at + 2 : at + 2 + text_len].decode("utf-8", "strict")
        if status > 1 or at + 2 + text_len != len(body) or (status == 0) == (fields[0] == ""):
            raise ProtocolError("ROTATE_RESULT layout is invalid")
    except (struct.error, IndexError, UnicodeDecodeError):
        raise ProtocolError("ROTATE_RESULT layout is invalid") from None
    return RotateResult(status == 0, fields[0], fields[1], text)


@dataclass(frozen=True)
class PublishedFile:
    """Section 5.6: one file this client may fetch."""

    name: str
    size: int
    modified_ms: int
    sha256: bytes
    shared: bool


def parse_file_listing(body: bytes) -> tuple[bool, list[PublishedFile]]:
    """(more, entries) of one FILE_LISTING."""
    try:
        more, count = struct.unpack(">BH", body[:3])
        at = 3
        entries = []
        for _ in range(count):
            n = body[at]
            name = body[at + 1 : at + 1 + n].decode("utf-8", "strict")
            at += 1 + n
            size, modified = struct.unpack(">QQ", body[at : at + 16])
            sha = body[at + 16 : at + 48]
            shared = body[at + 48]
            at += 49
            if len(sha) != 32 or shared > 1 or size >= 1 << 63 or "/" in name or name in ("", ".", ".."):
                raise ProtocolError("FILE_LISTING entry is invalid")
            entries.append(PublishedFile(name, size, modified, sha, shared == 1))
        if more > 1 or count > 256 or at != len(body):
            raise ProtocolError("FILE_LISTING layout is invalid")
        return more == 1, entries
    except (struct.error, IndexError, UnicodeDecodeError):
        raise ProtocolError("FILE_LISTING layout is invalid") from None


def get_file_body(name: str, offset: int, prefix_sha256: bytes, if_changed: bool, have_sha256: bytes) -> bytes:
    data = name.encode("utf-8")
    return (
        bytes([len(data)]) + data + struct.pack(">Q", offset) + prefix_sha256
        + bytes([GET_IF_CHANGED if if_changed else 0]) + have_sha256
    )


def parse_get_ready(body: bytes) -> tuple[int, int, int]:
    """(size, modified_ms, offset)."""
    if len(body) != 24:
        raise ProtocolError("GET_READY body must be 24 bytes")
    size, modified, offset = struct.unpack(">QQQ", body)
    if offset > size or size >= 1 << 63:
        raise ProtocolError("GET_READY offset is outside the file")
    return size, modified, offset


@dataclass(frozen=True)
class GetEnd:
    """Section 5.6: how one GET ended; ``status`` is sent, unchanged or refused."""

    status: str
    size: int
    sha256: bytes
    reason: str
    text: str


def parse_list_refused(body: bytes) -> tuple[str, str]:
    """(reason, text) of a LIST_REFUSED: the server could not say what it publishes."""
    try:
        reason_len = body[0]
        reason = body[1 : 1 + reason_len].decode("utf-8", "strict")
        at = 1 + reason_len
        (text_len,) = struct.unpack(">H", body[at : at + 2])
        text = body[at + 2 : at + 2 + text_len].decode("utf-8", "strict")
        if not reason or len(reason.encode("utf-8")) != reason_len or text_len > 4096 or at + 2 + text_len != len(body):
            raise ProtocolError("LIST_REFUSED layout is invalid")
        return reason, text
    except (struct.error, IndexError, UnicodeDecodeError):
        raise ProtocolError("LIST_REFUSED layout is invalid") from None


def parse_get_end(body: bytes) -> GetEnd:
    status, size, sha, reason, text = _parse_outcome(body, "GET_END", 2)
    return GetEnd(("sent", "unchanged", "refused")[status], size, sha, reason, text)


# Section 11: verified datagrams.

DATAGRAM_OPEN = 0x60
DATAGRAM_OPENED = 0x61
DATAGRAM_STATUS = 0x62
DATAGRAM_COUNTS = 0x63

DATAGRAM_SAY = 0x01
DATAGRAM_EVENT = 0x02
DATAGRAM_CREDIT = 0x03

DATAGRAM_MAX = 1200
"""The largest datagram, header and tag included."""

DATAGRAM_MAX_LINE = DATAGRAM_MAX - 16 - 16 - 1
"""The longest line one SAY datagram holds, in UTF-8 bytes."""


def datagram_keys(datagram_secret: bytes, channel_id: bytes) -> tuple[DirectionKeys, DirectionKeys]:
    """Section 11.2: the channel's client-to-server and server-to-client keys."""
    prk = hkdf_extract(channel_id, datagram_secret)
    return (
        DirectionKeys(hkdf_expand(prk, "authgate/1 dg c2s key", 32), hkdf_expand(prk, "authgate/1 dg c2s iv", 12)),
        DirectionKeys(hkdf_expand(prk, "authgate/1 dg s2c key", 32), hkdf_expand(prk, "authgate/1 dg s2c iv", 12)),
    )


def seal_datagram(keys: DirectionKeys, channel_id: bytes, sequence: int, msg_type: int, body: bytes) -> bytes:
    """Section 11.3: channel_id | sequence u64 | AES-256-GCM(type | body), the first 16 bytes as AAD."""
    if 1 + len(body) > DATAGRAM_MAX - 32:
        raise ValueError("a datagram message holds at most %d bytes" % (DATAGRAM_MAX - 32))
    clear = channel_id + struct.pack(">Q", sequence)
    return clear + AESGCM(keys.key).encrypt(nonce(keys.iv, sequence), bytes([msg_type]) + body, clear)


def open_datagram(keys: DirectionKeys, channel_id: bytes, data: bytes) -> tuple[int, int, bytes]:
    """Opens a datagram of ``channel_id``: (sequence, type, body); ProtocolError if it does not."""
    if len(data) < 33 or len(data) > DATAGRAM_MAX or data[:8] != channel_id:
        raise ProtocolError("not a datagram of this channel")
    (sequence,) = struct.unpack(">Q", data[8:16])
    try:
        plain = AESGCM(keys.key).decrypt(nonce(keys.iv, sequence), data[16:], data[:16])
    except InvalidTag:
        raise ProtocolError("a datagram that does not open") from None
    return sequence, plain[0], plain[1:]


def parse_datagram_opened(body: bytes) -> tuple[bytes, int, int]:
    """DATAGRAM_OPENED: (channel_id, udp_port, rate)."""
    if len(body) != 12:
        raise ProtocolError("DATAGRAM_OPENED is 12 bytes")
    port, rate = struct.unpack(">HH", body[8:12])
    return body[:8], port, rate


def parse_datagram_counts(body: bytes) -> tuple[int, int, int]:
    """DATAGRAM_COUNTS: (received, highest, dropped)."""
    if len(body) != 24:
        raise ProtocolError("DATAGRAM_COUNTS is 24 bytes")
    return struct.unpack(">QQQ", body)


# The one escaping rule for text a peer chose, as the Java client's TerminalText: C0 and C1
# controls, DEL, U+2028/9, the bidirectional controls, every other format character (Cf: U+200B,
# U+FEFF, ...) and lone surrogates become \uXXXX; everything else is shown as it is.
_BIDI = {0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}


def is_unsafe(c: str) -> bool:
    """Whether the character ``c`` must never reach a terminal raw."""
    cp = ord(c)
    return (
        cp < 0x20
        or 0x7F <= cp < 0xA0
        or cp in (0x2028, 0x2029)
        or cp in _BIDI
        or 0xD800 <= cp <= 0xDFFF
        or unicodedata.category(c) == "Cf"
    )


def escape(text: str) -> str:
    """``text`` with every unsafe character replaced by a visible \\uXXXX escape."""
    return "".join("\\u%04x" % ord(c) if is_unsafe(c) else c for c in text)
