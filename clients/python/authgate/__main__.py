"""``python3 -m authgate ping|upload --server HOST[:PORT] --key FILE``: the same output and exit
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
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:
        return USAGE if e.code else OK
    return _upload(args) if args.command == "upload" else _ping(args)


if __name__ == "__main__":
    sys.exit(main())
