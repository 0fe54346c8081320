"""authgate: a verified machine client, written from docs/PROTOCOL.md.

    import authgate
    with authgate.connect("gate.example:7350", authgate.Credential.load("sensor-1.credential")) as conn:
        print(conn.server_id, conn.ping())
        print(conn.upload("report.csv").describe())

For machines nobody watches, ``FolderWatcher`` uploads what lands in a folder and
``ReconnectingChat`` keeps a chat going across restarts (docs/CLIENT.md).
"""

from .client import Connection, connect, enroll, parse_server
from .credential import Credential, CredentialError, EnrollmentToken
from .protocol import ProtocolError, Refused, ServerNotVerified
from .unattended import (
    Backoff,
    ChatListener,
    FolderWatcher,
    ReconnectingChat,
    WatchListener,
    connect_retrying,
    is_permanent,
)

__all__ = [
    "Backoff",
    "ChatListener",
    "Connection",
    "FolderWatcher",
    "ReconnectingChat",
    "WatchListener",
    "connect_retrying",
    "is_permanent",
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
