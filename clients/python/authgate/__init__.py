"""authgate: a verified machine client, written from docs/PROTOCOL.md.

    import authgate
    with authgate.connect("gate.example:7350", authgate.Credential.load("sensor-1.credential")) as conn:
        print(conn.server_id, conn.ping())
"""

from .client import Connection, connect, enroll, parse_server
from .credential import Credential, CredentialError, EnrollmentToken
from .protocol import ProtocolError, Refused, ServerNotVerified

__all__ = [
    "Connection",
    "Credential",
    "CredentialError",
    "EnrollmentToken",
    "ProtocolError",
    "Refused",
    "ServerNotVerified",
    "connect",
    "enroll",
    "parse_server",
]
