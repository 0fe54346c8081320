"""``python3 -m authgate ping|upload|chat|enroll --server HOST[:PORT] ...``: the same output and exit
codes as ``auth-client`` (0 ok, 1 other failure, 2 usage, 3 authentication refused either way, 4
cannot connect or connection lost, 5 a file refused)."""

from __future__ import annotations

import argparse
import os
import socket
import sys
import time

from . import protocol
from .client import connect, parse_server
from .credential import Credential, CredentialError

OK, FAILURE, USAGE, AUTH_REFUSED, CONNECTION, TRANSFER = 0, 1, 2, 3, 4, 5


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else "\\u%04x" % ord(c) for c in text)


def _target(args: argparse.Namespace):
    """(server, host, port, credential) or an exit code."""
    server = args.server or os.environ.get("AUTHGATE_SERVER", "")
    key = args.key or os.environ.get("AUTHGATE_KEY", "")
    try:
        host, port = parse_server(server)
        if not key:
            raise ValueError("no credential: give --key FILE or set AUTHGATE_KEY")
    except ValueError as e:
        print("authgate: %s" % e, file=sys.stderr)
        return USAGE
    try:
        return server, host, port, Credential.load(key)
    except CredentialError as e:
        print("authgate: %s" % e, file=sys.stderr)
        return FAILURE


def _failure(e: BaseException) -> int:
    """The one stderr line and the exit code for a failed session, as auth-client says them."""
    if isinstance(e, protocol.Refused):
        if e.code == 0x01:
            print("authgate: the server refused this client (wrong, unknown or revoked key)", file=sys.stderr)
            return AUTH_REFUSED
        print("authgate: the server refused the connection: %s" % e, file=sys.stderr)
        return AUTH_REFUSED if e.code == 0x03 else CONNECTION
    if isinstance(e, protocol.ServerNotVerified):
        print("authgate: %s; not talking to it" % e, file=sys.stderr)
        return AUTH_REFUSED
    if isinstance(e, (socket.timeout, TimeoutError)):
        print("authgate: the server did not answer in time", file=sys.stderr)
        return CONNECTION
    print("authgate: %s" % (e if str(e) else type(e).__name__), file=sys.stderr)
    return CONNECTION


def _upload(args: argparse.Namespace) -> int:
    target = _target(args)
    if isinstance(target, int):
        return target
    server, _, _, credential = target
    for path in args.files:
        if not os.path.isfile(path):
            print("authgate: %s is not a regular file" % path, file=sys.stderr)
            return USAGE
    refused = 0
    try:
        with connect(server, credential, args.timeout) as conn:
            for path in args.files:
                outcome = conn.upload(path, overwrite=args.overwrite, resume=args.resume)
                print(_printable(outcome.describe()), flush=True)
                refused += 0 if outcome.stored else 1
    except (protocol.Refused, protocol.ServerNotVerified, OSError, EOFError, protocol.ProtocolError) as e:
        return _failure(e)
    return OK if refused == 0 else TRANSFER


def _iso(ms: int) -> str:
    """Java's Instant.toString() of epoch milliseconds: no fraction when it is zero."""
    import datetime

    t = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return t + ("" if ms % 1000 == 0 else ".%03d" % (ms % 1000)) + "Z"


def _event_json(event) -> str:
    import json

    line = json.dumps(
        {"type": event.kind, "room": event.room, "from": event.sender, "text": event.text, "ts": _iso(event.ts)},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    # As auth-client: anything that could act on a terminal or end a line is a \u escape.
    return "".join(c if c.isprintable() or c == " " else "\\u%04x" % ord(c) for c in line)


def _chat(args: argparse.Namespace) -> int:
    """JSON lines mode: every stdin line is a message, every event a JSON line on stdout."""
    import threading

    target = _target(args)
    if isinstance(target, int):
        return target
    server, _, _, credential = target
    from .client import SessionEnded

    try:
        conn = connect(server, credential, args.timeout)
    except (protocol.Refused, protocol.ServerNotVerified, OSError, EOFError, protocol.ProtocolError) as e:
        return _failure(e)
    ended: list = []

    def read() -> None:
        try:
            for event in conn.events(args.keepalive):
                print(_event_json(event), flush=True)
        except SessionEnded as e:
            ended.append(e)
        except (OSError, EOFError, protocol.ProtocolError) as e:
            ended.append(e)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        conn.join(args.room)
        for line in sys.stdin:
            line = line.rstrip("\n")
            if line and not ended:
                conn.say(line)
        reader.join(0.5)
        if ended:
            e = ended[0]
            print("authgate: the server ended the session: %s" % _printable(str(e)), file=sys.stderr)
            return TRANSFER if isinstance(e, SessionEnded) and e.code == 6 else CONNECTION
        conn.close()
        return OK
    except OSError as e:
        return _failure(e)


def _enroll(args: argparse.Namespace) -> int:
    from .client import enroll
    from .credential import EnrollmentToken

    server = args.server or os.environ.get("AUTHGATE_SERVER", "")
    text = args.token or os.environ.get("AUTHGATE_TOKEN", "")
    try:
        parse_server(server)
        if text == "-":
            text = sys.stdin.read()
        if not text.strip():
            raise ValueError("no token: give --token TOKEN (or -) or set AUTHGATE_TOKEN")
        token = EnrollmentToken.parse(text)
    except (ValueError, CredentialError) as e:
        print("authgate: %s" % e, file=sys.stderr)
        return USAGE
    try:
        result, server_id = enroll(server, token, args.out, args.id or "", args.timeout)
    except FileExistsError:
        print("authgate: %s exists; enroll writes a new credential and never overwrites one" % args.out, file=sys.stderr)
        return USAGE
    except protocol.Refused as e:
        if e.code != 0x01:
            return _failure(e)
        print(
            "authgate: the server refused the token: it is wrong, expired, used up or revoked (token %s)"
            % token.token_id,
            file=sys.stderr,
        )
        return AUTH_REFUSED
    except (protocol.ServerNotVerified, OSError, EOFError, protocol.ProtocolError) as e:
        return _failure(e)
    if result.status == "refused":
        print("authgate: enrollment refused: %s [%s]" % (_printable(result.text), _printable(result.reason)), file=sys.stderr)
        return TRANSFER
    print(
        "enrolled as %s (key %s) with server '%s'; credential written to %s (mode 0600)"
        % (_printable(result.client_id), _printable(result.key_id), _printable(server_id), args.out),
        file=sys.stderr,
    )
    if result.status == "pending":
        print("waiting for approval: on the server run: auth-server keys approve %s" % _printable(result.client_id), file=sys.stderr)
    return OK


def _ping(args: argparse.Namespace) -> int:
    target = _target(args)
    if isinstance(target, int):
        return target
    server, host, port, credential = target
    start = time.perf_counter()
    try:
        with connect(server, credential, args.timeout) as conn:
            handshake = time.perf_counter() - start
            rtt = conn.ping()
            address = "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)
            print(
                "verified server '%s' at %s as %s (key %s): handshake %.2f ms, round trip %.2f ms"
                % (_printable(conn.server_id), address, credential.client_id, credential.key_id,
                   handshake * 1000, rtt * 1000)
            )
            return OK
    except (protocol.Refused, protocol.ServerNotVerified, OSError, EOFError, protocol.ProtocolError) as e:
        return _failure(e)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="authgate", description="authgate machine client")
    commands = parser.add_subparsers(dest="command", required=True)
    ping = commands.add_parser("ping", help="authenticate, verify the server, time a sealed round trip")
    ping.add_argument("--server", help="HOST[:PORT]; default AUTHGATE_SERVER; port 7350 unless given")
    ping.add_argument("--key", help="credential file (mode 0600); default AUTHGATE_KEY")
    ping.add_argument("--timeout", type=float, default=10.0, help="seconds for connecting and each reply (default 10)")
    upload = commands.add_parser("upload", help="upload files: streamed, SHA-256 checked, resumed")
    upload.add_argument("--server", help="HOST[:PORT]; default AUTHGATE_SERVER; port 7350 unless given")
    upload.add_argument("--key", help="credential file (mode 0600); default AUTHGATE_KEY")
    upload.add_argument("--timeout", type=float, default=10.0, help="seconds for connecting and each reply (default 10)")
    upload.add_argument("--overwrite", action="store_true", help="replace files of the same name on the server")
    upload.add_argument("--no-resume", dest="resume", action="store_false", help="start over instead of resuming")
    upload.add_argument("files", nargs="+", metavar="FILE")
    chat = commands.add_parser("chat", help="chat in a room: JSON lines out, stdin lines in")
    chat.add_argument("--server", help="HOST[:PORT]; default AUTHGATE_SERVER; port 7350 unless given")
    chat.add_argument("--key", help="credential file (mode 0600); default AUTHGATE_KEY")
    chat.add_argument("--timeout", type=float, default=10.0, help="seconds for connecting (default 10)")
    chat.add_argument("--room", default="lobby", help="the room to join (default lobby)")
    chat.add_argument("--keepalive", type=float, default=60.0, help="ping a quiet server this often, seconds (default 60)")
    chat.add_argument("--json", action="store_true", help="JSON lines (the only mode of this client; accepted for auth-client's scripts)")
    enrol = commands.add_parser("enroll", help="enroll this machine with a one-time token")
    enrol.add_argument("--server", help="HOST[:PORT]; default AUTHGATE_SERVER; port 7350 unless given")
    enrol.add_argument("--token", help="the token (agt1-...), or - for stdin; default AUTHGATE_TOKEN")
    enrol.add_argument("--id", help="the client id to ask for, where the token lets the machine choose")
    enrol.add_argument("--out", required=True, help="where to write the new credential (mode 0600)")
    enrol.add_argument("--timeout", type=float, default=10.0, help="seconds for connecting and each reply (default 10)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:
        return USAGE if e.code else OK
    return {"upload": _upload, "chat": _chat, "enroll": _enroll}.get(args.command, _ping)(args)


if __name__ == "__main__":
    sys.exit(main())
