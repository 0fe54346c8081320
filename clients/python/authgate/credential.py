"""Credential files (docs/PROTOCOL.md section 8), as ``auth-server keys add`` writes them."""

from __future__ import annotations

import base64
import binascii
import os
import re
import stat
import sys
import threading
from dataclasses import dataclass, field

from . import protocol
from .protocol import ScramKeys

MAX_HOST_KEYS = 16

_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,63}")


class CredentialError(Exception):
    """A credential file that cannot be used; the message names the file, never the secret."""


class HostKeyTrust:
    """Which server host keys a client trusts (its pins), shared by every connection of one
    credential. What a verified server announces is learned as a change (a next key pinned, a
    retired one dropped) applied to the pins the credential file holds then, so a pin an operator
    removed is not written back; the file is rewritten atomically (write, fsync, rename; mode
    0600; owner kept; a linked credential rewritten where the link points). A file-backed trust
    rereads the file's pins when it changes. A key is pinned because it was presented only on
    first use of a credential without pins, and only with ``accept_new``; pins are never evicted."""

    def __init__(self, pins, path: str | None = None, accept_new: bool = False, where: str = ""):
        self.pins = list(pins)
        self.path = path
        self.accept_new = accept_new
        self.where = where or (path or "")
        self._lock = threading.Lock()
        self._warned = False
        self._seen = _stamp(path) if path else None
        self.loaded = self._seen  # the file as the credential was read from it (see latest())

    def __call__(self, presented: str) -> None:
        pins = self._current()
        if presented in pins or (not pins and self.accept_new):
            return
        raise protocol.mismatch(pins, presented, self.where)

    def _current(self) -> list:
        with self._lock:
            if self.path:
                now = _stamp(self.path)
                if now is not None and now != self._seen:
                    try:
                        self.pins = list(Credential.load(self.path).host_keys)
                        self._seen = now
                    except CredentialError:
                        pass  # being replaced or broken: keep the pins in memory
            return list(self.pins)

    def learned(self, signed_by: str, next_keys, retired) -> None:
        with self._lock:
            first_use = not self.pins
            add = ([signed_by] if first_use else []) + list(next_keys)
            remove = [fp for fp in retired if fp != signed_by]
            updated = _apply(self.pins, add, remove)
            if updated == self.pins:
                return
            self.pins = updated
            if self.path:
                self._save(add, remove)
                if first_use:
                    print(
                        "authgate: pinned the server's host key %s in %s (first use: compare it"
                        " with 'auth-server keys host-key' on the server)" % (signed_by, self.path),
                        file=sys.stderr,
                    )

    def _save(self, add, remove) -> None:
        try:
            target = os.path.realpath(self.path)
            before = _stamp(target)
            current = Credential.load(target)
            updated = _apply(list(current.host_keys), add, remove)
            if updated == list(current.host_keys):
                return
            if before != _stamp(target):
                return  # replaced meanwhile: never write an old secret back
            write_pins(target, updated)
            self._seen = _stamp(self.path)
            self.pins = updated
        except (CredentialError, OSError) as e:
            if not self._warned:
                self._warned = True
                print(
                    "authgate: cannot update the host key pins in %s (%s); they are kept for this"
                    " run only" % (self.path, e),
                    file=sys.stderr,
                )


def _apply(pins, add, remove) -> list:
    updated = [fp for fp in pins if fp not in remove]
    for fp in add:
        if fp not in updated and fp not in remove and len(updated) < MAX_HOST_KEYS:
            updated.append(fp)  # full: nothing is evicted to make room
    return updated


def _stamp(path: str):
    try:
        st = os.stat(path)
        return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    except OSError:
        return None


def fsync_directory(directory: str) -> None:
    """Makes a rename in ``directory`` durable; a file system that cannot sync a directory still
    has the rename."""
    try:
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def _write_private(path: str, text: str) -> None:
    """Replaces ``path`` in one rename with a new mode-0600 file holding ``text``."""
    directory = os.path.dirname(os.path.abspath(path))
    temp = os.path.join(directory, ".tmp-%s" % os.urandom(8).hex())
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        try:
            os.write(fd, text.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
        fsync_directory(directory)
    finally:
        if os.path.lexists(temp):
            os.unlink(temp)


_ROTATING = {}
_ROTATING_GUARD = threading.Lock()


def latest(credential: "Credential") -> "Credential":
    """The credential as its file holds it now (docs/PROTOCOL.md section 5.7): another process,
    or this one, may have rotated it since it was loaded. One not read from a file is as it is."""
    path = credential.trust.path if credential.trust is not None else None
    if not path:
        return credential
    now = _stamp(path)
    if now is None or now == credential.trust.loaded:
        return credential
    try:
        fresh = Credential.load(path, accept_new=credential.trust.accept_new)
    except CredentialError:
        return credential  # being replaced or broken: keep the one in memory
    return fresh


class RotationLock:
    """Held while a credential file is rotated: a thread lock (fcntl locks do not exclude threads
    of one process) and an fcntl lock on ``FILE.lock``, the lock auth-client takes too."""

    def __init__(self, path: str, timeout: float):
        self.target = os.path.realpath(path)
        self.timeout = timeout
        with _ROTATING_GUARD:
            self._thread_lock = _ROTATING.setdefault(self.target, threading.Lock())
        self._fd = None

    def __enter__(self) -> bool:
        """True once held; False if another process kept it for ``timeout`` seconds."""
        import fcntl
        import time

        if not self._thread_lock.acquire(timeout=self.timeout):
            return False
        try:
            self._fd = os.open(self.target + ".lock", os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
        except OSError:
            self._thread_lock.release()
            raise
        end = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.lockf(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except OSError:
                if time.monotonic() > end:
                    return False
                time.sleep(0.02)

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            os.close(self._fd)  # releases the fcntl lock
            self._fd = None
        self._thread_lock.release()


def save_rotated(path: str, previous: "Credential", rotated: "Credential") -> None:
    """Keeps ``previous`` as ``FILE.old`` and puts ``rotated`` in place atomically (mode 0600,
    the file's owner kept), where a link points."""
    target = os.path.realpath(path)
    st = os.stat(target)
    old = target + ".old"
    _write_private(old, previous.format())
    _write_private(target, rotated.format())
    for written in (old, target):
        now = os.stat(written)
        if (now.st_uid, now.st_gid) != (st.st_uid, st.st_gid):
            os.chown(written, st.st_uid, st.st_gid)


def logged_in(credential: "Credential") -> None:
    """Once a rotated key was used, the replaced file (``FILE.old``) is not needed any more."""
    path = credential.trust.path if credential.trust is not None else None
    if not path:
        return
    old = os.path.realpath(path) + ".old"
    if not os.path.lexists(old):
        return
    try:
        with open(old, "r", encoding="utf-8") as f:
            previous = Credential.parse(f.read(), old)
        if previous.key_id != credential.key_id:
            os.unlink(old)
    except (OSError, CredentialError, UnicodeDecodeError):
        pass  # left for the next login


def write_pins(path: str, pins) -> None:
    """Replaces the pins of the credential at ``path``: where a link points, atomically, mode
    0600, its owner kept."""
    target = os.path.realpath(path)
    current = Credential.load(target)
    st = os.stat(target)
    _write_private(target, current.with_host_keys(pins).format())
    if (st.st_uid, st.st_gid) != (os.stat(target).st_uid, os.stat(target).st_gid):
        os.chown(target, st.st_uid, st.st_gid)


@dataclass(frozen=True)
class Credential:
    """A client id, key id, 32-byte secret and the fingerprints of the server host keys it trusts.
    ``repr`` hides the secret."""

    client_id: str
    key_id: str
    secret: bytes = field(repr=False)
    host_keys: tuple = ()
    trust: HostKeyTrust = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "host_keys", tuple(self.host_keys))
        if self.trust is None:
            object.__setattr__(self, "trust", HostKeyTrust(self.host_keys, where="the credential"))

    @property
    def keys(self) -> ScramKeys:
        return ScramKeys.of(self.secret)

    def with_host_keys(self, pins) -> "Credential":
        return Credential(self.client_id, self.key_id, self.secret, tuple(pins))

    def format(self) -> str:
        """The file text, as auth-server and auth-client write it."""
        return (
            "# authgate client credential for '%s'. It holds the secret: keep it mode 0600 on this"
            " machine only.\nauthgate-credential 1\nclient-id %s\nkey-id %s\nsecret %s\n"
            % (self.client_id, self.client_id, self.key_id, base64.b64encode(self.secret).decode("ascii"))
        ) + "".join("host-key %s\n" % pin for pin in self.host_keys)

    @staticmethod
    def parse(text: str, name: str = "credential") -> "Credential":
        lines = [
            (number, line.strip())
            for number, line in enumerate(text.split("\n"), 1)
            if line.strip() and not line.strip().startswith("#")
        ]
        if not lines or lines[0][1] != "authgate-credential 1":
            raise CredentialError(
                "%s is not an authgate file: its first line must be 'authgate-credential 1'" % name
            )
        values: dict[str, str] = {}
        pins: list[str] = []
        for number, line in lines[1:]:
            key, _, value = line.partition(" ")
            if not value:
                raise CredentialError("%s:%d: expected 'name value'" % (name, number))
            if key == "host-key":
                if not protocol.is_fingerprint(value.strip()) or value.strip() in pins:
                    raise CredentialError(
                        "%s:%d: a host-key line holds one fingerprint (SHA256: and 43 base64"
                        " characters), each once" % (name, number)
                    )
                if len(pins) == MAX_HOST_KEYS:
                    raise CredentialError("%s:%d: more than %d host-key lines" % (name, number, MAX_HOST_KEYS))
                pins.append(value.strip())
                continue
            if key not in ("client-id", "key-id", "secret"):
                raise CredentialError("%s:%d: unknown field '%s'" % (name, number, key))
            if key in values:
                raise CredentialError(
                    "%s:%d: a second '%s' line; a credential has one" % (name, number, key)
                )
            values[key] = value.strip()
        if set(values) != {"client-id", "key-id", "secret"}:
            raise CredentialError(
                "%s is incomplete: it needs client-id, key-id and secret lines" % name
            )
        for key in ("client-id", "key-id"):
            if not _ID.fullmatch(values[key]):
                raise CredentialError("%s: %s is not a valid id" % (name, key))
        try:
            secret = base64.b64decode(values["secret"], validate=True)
        except (binascii.Error, ValueError):
            raise CredentialError("%s: secret is not valid base64" % name) from None
        if len(secret) != 32:
            raise CredentialError("%s: secret must be 32 bytes" % name)
        return Credential(values["client-id"], values["key-id"], secret, tuple(pins))

    @staticmethod
    def load(path: str, accept_new: bool = False) -> "Credential":
        """Reads a credential file, refusing one that group or others may read (as ssh does)."""
        try:
            mode = os.stat(path).st_mode
            if not stat.S_ISREG(mode):
                # as auth-client says it: a directory is no credential, whatever its mode
                raise CredentialError("%s is not a regular file" % path)
            if mode & (stat.S_IRWXG | stat.S_IRWXO):
                raise CredentialError(
                    "%s is accessible by group or others (mode %04o); run: chmod 600 %s"
                    % (path, stat.S_IMODE(mode), path)
                )
            with open(path, "r", encoding="utf-8") as f:
                parsed = Credential.parse(f.read(), path)
            return Credential(
                parsed.client_id,
                parsed.key_id,
                parsed.secret,
                parsed.host_keys,
                HostKeyTrust(parsed.host_keys, path=path, accept_new=accept_new),
            )
        except FileNotFoundError:
            raise CredentialError("key file %s does not exist" % path) from None
        except PermissionError:
            raise CredentialError("cannot read %s: permission denied" % path) from None


_TOKEN = re.compile(r"agt(1|2)-([0-9a-f]{16})-([A-Za-z0-9_-]{43})(?:-([A-Za-z0-9_-]{43}))?")


@dataclass(frozen=True)
class EnrollmentToken:
    """A one-time token from ``auth-server keys token create`` (docs/PROTOCOL.md section 5.5):
    ``agt2-<id>-<secret>-<host key hash>`` pins the server's host key; an ``agt1-`` token (made
    before host keys) pins none."""

    token_id: str
    secret: bytes = field(repr=False)
    host_key: str | None = None

    @staticmethod
    def parse(text: str) -> "EnrollmentToken":
        m = _TOKEN.fullmatch(text.strip())
        if not m or (m.group(1) == "1") != (m.group(4) is None):
            raise CredentialError(
                "not an enrollment token: expected agt2-<16 hex digits>-<43 characters>-<43"
                " characters>, as printed by 'auth-server keys token create'"
            )
        pin = None
        if m.group(4) is not None:
            pin = protocol.fingerprint_of_hash(base64.urlsafe_b64decode(m.group(4) + "="))
        return EnrollmentToken(m.group(2), base64.urlsafe_b64decode(m.group(3) + "="), pin)

    def credential(self, host_key: str | None = None) -> Credential:
        """What a token session claims (client id ``token:<id>``, key id ``t1``), trusting the
        token's pin, or ``host_key`` for an agt1 token."""
        pin = host_key or self.host_key
        if pin is None:
            raise CredentialError(
                "this token (agt1-...) was made before host keys and pins none: ask for a new"
                " token, or give --host-key SHA256:... as 'auth-server keys host-key' prints it"
            )
        if not protocol.is_fingerprint(pin):
            raise CredentialError("--host-key must be a fingerprint like SHA256: and 43 base64 characters")
        if self.host_key is not None and host_key is not None and host_key != self.host_key:
            raise CredentialError(
                "--host-key %s is not the host key the token pins: %s" % (host_key, self.host_key)
            )
        return Credential(
            "token:" + self.token_id, "t1", self.secret, (pin,), HostKeyTrust((pin,), where="the token")
        )
