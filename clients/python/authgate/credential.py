"""Credential files (docs/PROTOCOL.md section 8), as ``auth-server keys add`` writes them."""

from __future__ import annotations

import base64
import binascii
import os
import re
import stat
from dataclasses import dataclass, field

from .protocol import ScramKeys

_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,63}")


class CredentialError(Exception):
    """A credential file that cannot be used; the message names the file, never the secret."""


@dataclass(frozen=True)
class Credential:
    """A client id, key id and 32-byte secret. ``repr`` hides the secret."""

    client_id: str
    key_id: str
    secret: bytes = field(repr=False)

    @property
    def keys(self) -> ScramKeys:
        return ScramKeys.of(self.secret)

    def format(self) -> str:
        """The file text, as auth-server and auth-client write it."""
        return (
            "# authgate client credential for '%s'. It holds the secret: keep it mode 0600 on this"
            " machine only.\nauthgate-credential 1\nclient-id %s\nkey-id %s\nsecret %s\n"
            % (self.client_id, self.client_id, self.key_id, base64.b64encode(self.secret).decode("ascii"))
        )

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
        for number, line in lines[1:]:
            key, _, value = line.partition(" ")
            if not value:
                raise CredentialError("%s:%d: expected 'name value'" % (name, number))
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
        return Credential(values["client-id"], values["key-id"], secret)

    @staticmethod
    def load(path: str) -> "Credential":
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
                return Credential.parse(f.read(), path)
        except FileNotFoundError:
            raise CredentialError("key file %s does not exist" % path) from None
        except PermissionError:
            raise CredentialError("cannot read %s: permission denied" % path) from None


_TOKEN = re.compile(r"agt1-([0-9a-f]{16})-([A-Za-z0-9_-]{43})")


@dataclass(frozen=True)
class EnrollmentToken:
    """A one-time token from ``auth-server keys token create`` (docs/PROTOCOL.md section 5.5)."""

    token_id: str
    secret: bytes = field(repr=False)

    @staticmethod
    def parse(text: str) -> "EnrollmentToken":
        m = _TOKEN.fullmatch(text.strip())
        if not m:
            raise CredentialError(
                "not an enrollment token: expected agt1-<16 hex digits>-<43 characters>, as printed"
                " by 'auth-server keys token create'"
            )
        return EnrollmentToken(m.group(1), base64.urlsafe_b64decode(m.group(2) + "="))

    def credential(self) -> Credential:
        """What a token session claims: client id ``token:<id>``, key id ``t1``."""
        return Credential("token:" + self.token_id, "t1", self.secret)
