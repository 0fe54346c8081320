"""``python3 -m authgate ping|upload|list|get|chat|enroll --server HOST[:PORT] ...``: the same output and exit
codes as ``auth-client`` (0 ok, 1 other failure, 2 usage, 3 authentication refused either way, 4
cannot connect or connection lost, 5 a file refused)."""

from __future__ import annotations

import argparse
import io
import os
import re
import socket
import sys
import time

from . import protocol
from .client import ConnectFailed, HostNotFound, ListRefused, SessionEnded, connect, parse_server
from .credential import Credential, CredentialError

OK, FAILURE, USAGE, AUTH_REFUSED, CONNECTION, TRANSFER = 0, 1, 2, 3, 4, 5
INTERRUPTED = 130  # Ctrl-C, as a shell reports SIGINT (and the JVM exits)


_ROOM = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,63}")


def _room_problem(room: str) -> str:
    """auth-client's words for a --room that is not a room name."""
    shown = _printable(room[:64]) + ("..." if len(room) > 64 else "")
    return "invalid room name '%s': use 1 to 64 characters from A-Z a-z 0-9 . _ -, not starting with '.' or '-'" % shown


def _fresh_line() -> str:
    """A newline after the terminal's ^C, so the line that follows stands on its own; none in a log."""
    try:
        return "\n" if sys.stderr.isatty() else ""
    except (AttributeError, ValueError):
        return ""


def _say(text: str) -> None:
    """One line on stderr, as auth-client says what it is waiting for."""
    print("authgate: %s" % _printable(text), file=sys.stderr, flush=True)


def _printable(text: str) -> str:
    return protocol.escape(text)


def _target(args: argparse.Namespace):
    """(server, host, port, credential) or an exit code."""
    server = args.server or os.environ.get("AUTHGATE_SERVER", "")
    key = args.key or os.environ.get("AUTHGATE_KEY", "")
    try:
        host, port = parse_server(server)
        if not key:
            raise ValueError("no credential: give --key FILE or set AUTHGATE_KEY")
    except ValueError as e:
        print("authgate: %s" % _printable(str(e)), file=sys.stderr)
        return USAGE
    try:
        return server, host, port, Credential.load(key, accept_new=getattr(args, "accept_new", False))
    except CredentialError as e:
        print("authgate: %s" % _printable(str(e)), file=sys.stderr)  # a file name may hold anything
        return FAILURE


def _describe(e: BaseException) -> tuple[str, int]:
    """What a failed session is, in words (without the program's name) and as an exit code, as
    auth-client says it."""
    if isinstance(e, protocol.Refused):
        if e.code == protocol.REFUSED_AUTH:
            return ("the server refused this client (wrong or unknown key)"), AUTH_REFUSED
        if e.code in (protocol.REFUSED_PENDING, protocol.REFUSED_REVOKED, protocol.REFUSED_EXPIRED,
                      protocol.REFUSED_LOCKED, protocol.REFUSED_PENALIZED):
            return ("%s" % e), (CONNECTION if e.code == protocol.REFUSED_PENALIZED else AUTH_REFUSED)
        if e.code == protocol.REFUSED_TRY_LATER:
            return (
                "the server asked us to try later: it is busy, or this client already has"
                " as many sessions as it may",
                CONNECTION,
            )
        if e.code == 0x04:
            return ("the server cut the handshake: it took too long"), CONNECTION
        return ("the server refused the connection: %s" % e), (AUTH_REFUSED if e.code == 0x03 else CONNECTION)
    if isinstance(e, protocol.HostKeyNotTrusted):
        return ("%s" % e), AUTH_REFUSED
    if isinstance(e, protocol.ServerNotVerified):
        return ("%s; not talking to it" % e), AUTH_REFUSED
    if isinstance(e, protocol.UnsupportedVersion):
        return ("%s" % e), AUTH_REFUSED
    if isinstance(e, ListRefused):
        return ("the server could not list its files: %s [%s]" % (_printable(e.text), _printable(e.reason))), TRANSFER
    if isinstance(e, SessionEnded):
        if e.code == 6:
            return ("the server refused: %s" % _printable(e.text)), TRANSFER
        return ("the server ended the session: %s" % _printable(e.text)), (AUTH_REFUSED if e.code in (2, 7) else CONNECTION)
    if isinstance(e, ConnectFailed):
        return ("cannot connect to %s" % _printable(str(e))), CONNECTION
    if isinstance(e, HostNotFound):
        return ("cannot resolve server host %s" % _printable(str(e))), CONNECTION
    if isinstance(e, protocol.ServerSilent):
        return ("%s" % e), CONNECTION
    if isinstance(e, (socket.timeout, TimeoutError)):
        return ("the server did not answer in time"), CONNECTION
    # (a message may quote the server: escaped like everything else that came from it)
    return ("%s" % (_printable(str(e)) if str(e) else type(e).__name__)), CONNECTION


def _failure(e: BaseException) -> int:
    """The one stderr line and the exit code for a failed session, as auth-client says them."""
    text, code = _describe(e)
    print("authgate: %s" % text, file=sys.stderr)
    return code


def _usage(command: str, text: str) -> int:
    """A mistake in the command line, as auth-client reports one: the mistake, then where help is."""
    print("authgate: %s" % text, file=sys.stderr)
    print("see 'python3 -m authgate %s --help'" % command, file=sys.stderr)
    return USAGE


def _upload(args: argparse.Namespace) -> int:
    if args.watch is not None:
        return _watch(args)
    if args.done is not None or args.delete:
        return _usage("upload", "--done and --delete need --watch DIR")
    if not args.files:
        return _usage("upload", "give the FILEs to upload, or --watch DIR")
    target = _target(args)
    if isinstance(target, int):
        return target
    server, _, _, credential = target
    from .unattended import upload_name_problem

    for path in args.files:
        # A FILE that names nothing to upload is a usage error, as in auth-client.
        if not os.path.lexists(path):
            print("authgate: %s: no such file" % _printable(path), file=sys.stderr)
            return USAGE
        if not os.path.isfile(path):
            print("authgate: %s is not a regular file; only files can be uploaded" % _printable(path), file=sys.stderr)
            return USAGE
        if not os.access(path, os.R_OK):
            print("authgate: cannot read %s: permission denied" % _printable(path), file=sys.stderr)
            return FAILURE
        # Refused before connecting, as auth-client does: a name the server would refuse, or one
        # whose bytes are not UTF-8 (no text stands for them on the wire).
        problem = upload_name_problem(os.path.basename(path))
        if problem:
            print("authgate: %s: %s" % (_printable(path), problem), file=sys.stderr)
            return USAGE
    # Ctrl-C or SIGTERM mid-file, as auth-client: stop after the chunk being sent and end the
    # session with CLOSE (the server audits an interrupted upload and keeps its prefix, rather than
    # a frame cut in half), then say what the server kept. A second Ctrl-C stops at once.
    import signal

    from .client import UploadCancelled

    asked = []

    def stop(signum, frame):
        if asked:
            raise KeyboardInterrupt
        asked.append(signum)

    # (a signal the parent ignores, as for a background job or nohup, stays ignored, as in Java)
    previous = {
        sig: signal.signal(sig, stop)
        for sig in (signal.SIGINT, signal.SIGTERM)
        if signal.getsignal(sig) is not signal.SIG_IGN
    }
    refused = 0
    sending = None
    try:
        with connect(server, credential, args.timeout, on_penalty=_say) as conn:
            for i, path in enumerate(args.files):
                if asked:
                    print(_fresh_line() + "authgate: interrupted before sending %s" % _printable(_not_sent(args.files, i)), file=sys.stderr)
                    return _signalled(asked)
                sending = path
                try:
                    outcome = conn.upload(path, overwrite=args.overwrite, resume=args.resume, cancel=lambda: bool(asked))
                except UploadCancelled as e:
                    rest = "; not sent: %s" % _not_sent(args.files, i + 1) if i + 1 < len(args.files) else ""
                    print(
                        _fresh_line() + "authgate: interrupted while sending %s: the server keeps the %d of %d bytes it received"
                        " and verified; run the same command again to continue from there%s"
                        % (_printable(e.name), e.position, e.size, _printable(rest)),
                        file=sys.stderr,
                    )
                    return _signalled(asked)
                sending = None
                print(_printable(outcome.describe()), flush=True)
                refused += 0 if outcome.stored else 1
    except (protocol.Refused, protocol.ServerNotVerified, OSError, EOFError, protocol.ProtocolError) as e:
        if asked:
            print(_fresh_line() + "authgate: interrupted", file=sys.stderr)
            return _signalled(asked)
        return _failure(e)
    except KeyboardInterrupt:
        # The second Ctrl-C, or one before the handler was in place: what the server kept is
        # unknown to the byte; how to go on is not.
        if sending is not None:
            print(
                _fresh_line() + "authgate: interrupted while sending %s: the server keeps what it received and"
                " verified; run the same command again to continue from there"
                % _printable(os.path.basename(sending)),
                file=sys.stderr,
            )
        else:
            print(_fresh_line() + "authgate: interrupted", file=sys.stderr)
        return INTERRUPTED
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if asked:
        return _signalled(asked)
    return OK if refused == 0 else TRANSFER


def _signalled(asked: list) -> int:
    """The exit status a shell gives a process the first signal ended, as the JVM's: 130 for
    SIGINT (Ctrl-C), 143 for SIGTERM."""
    import signal

    return 128 + (signal.SIGTERM if asked[0] == signal.SIGTERM else signal.SIGINT)


def _not_sent(files: list[str], start: int) -> str:
    rest = files[start:]
    return rest[0] if len(rest) == 1 else "%d files from %s" % (len(rest), rest[0])


def _seconds(wait: float) -> str:
    return "%.1f s" % wait


def _watch(args: argparse.Namespace) -> int:
    """``upload --watch DIR``: as auth-client's; runs until SIGTERM or Ctrl-C."""
    import signal

    from .unattended import FolderWatcher, WatchListener, is_permanent

    if args.files:
        return _usage("upload", "--watch takes no FILE arguments")
    if args.done is not None and args.delete:
        return _usage(
            "upload",
            "give --done DIR or --delete, not both: stored files are either moved to DIR or deleted (drop one)",
        )
    if args.done is None and not args.delete:
        return _usage("upload", "--watch needs --done DIR or --delete: what to do with stored files")
    if not os.path.isdir(args.watch):
        print("authgate: %s: no such directory" % args.watch, file=sys.stderr)
        return FAILURE
    if args.done is not None and os.path.abspath(args.done) == os.path.abspath(args.watch):
        return _usage("upload", "--done must not be the watched folder")
    target = _target(args)
    if isinstance(target, int):
        return target
    server, _, _, credential = target
    folder = args.watch

    class Report(WatchListener):
        def stored(self, path, outcome, moved_to):
            print(_printable(outcome.describe()), flush=True)

        def refused(self, path, outcome, retry_in):
            print("authgate: %s; it stays in %s, retrying in %s" % (_printable(outcome.describe()), folder, _seconds(retry_in)), file=sys.stderr, flush=True)

        def skipped(self, path, why, retry_in):
            print("authgate: skipping %s: %s; it stays in %s, retrying in %s" % (_printable(os.path.basename(path)), why, folder, _seconds(retry_in)), file=sys.stderr, flush=True)

        def disconnected(self, failure, retry_in):
            print("authgate: %s; reconnecting in %s" % (_printable(str(failure) or type(failure).__name__), _seconds(retry_in)), file=sys.stderr, flush=True)

    watcher = FolderWatcher(
        server, credential, folder, args.done, Report(),
        settle=args.settle, poll=args.poll, timeout=args.timeout, overwrite=args.overwrite,
    )
    stopped_by: list[int] = []

    def stop(signum, frame) -> None:
        stopped_by.append(signum)
        watcher.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(
        "authgate: watching %s (settle %s); stored files are %s"
        % (folder, _seconds(args.settle), "deleted" if args.done is None else "moved to " + args.done),
        file=sys.stderr, flush=True,
    )
    try:
        watcher.run()
    except (protocol.Refused, protocol.ServerNotVerified, OSError, EOFError, protocol.ProtocolError) as e:
        return _failure(e)
    except Exception as e:  # SessionEnded: revoked or not permitted
        if is_permanent(e):
            print("authgate: the server ended the session: %s" % _printable(str(e)), file=sys.stderr)
            return AUTH_REFUSED if getattr(e, "code", 0) == 2 else TRANSFER
        raise
    return 128 + stopped_by[0] if stopped_by else OK


def _iso(ms: int) -> str:
    """Java's Instant.toString() of epoch milliseconds: no fraction when it is zero."""
    import datetime

    try:
        t = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    except (OverflowError, ValueError, OSError):
        # A time no calendar here can show (a hostile or broken server's): say it as it came.
        return "%d ms since 1970" % ms
    return t + ("" if ms % 1000 == 0 else ".%03d" % (ms % 1000)) + "Z"


def _event_json(event) -> str:
    return _json_line(event.kind, event.room, event.sender, event.text, event.ts)


def _json_line(kind: str, room: str, sender: str, text: str, ts: int, line: int | None = None) -> str:
    import json

    fields = {"type": kind, "room": room, "from": sender, "text": text, "ts": _iso(ts)}
    if line is not None:
        fields["line"] = line
    line_text = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    # As auth-client: anything that could act on a terminal or end a line is a \u escape.
    return protocol.escape(line_text)


def _chat_reconnecting(args: argparse.Namespace, server: str, credential) -> int:
    """``chat --json --reconnect``: as auth-client's, with sent, disconnected and reconnected lines."""
    import threading

    from .unattended import ChatListener, ReconnectingChat, is_permanent

    room = args.room
    me = credential.client_id
    out_lock = threading.Lock()

    def emit(line: str) -> None:
        with out_lock:
            print(line, flush=True)

    def now() -> int:
        return int(time.time() * 1000)

    class Report(ChatListener):
        def on_event(self, event):
            emit(_event_json(event))

        def on_sent(self, line, text):
            emit(_json_line("sent", room, me, text, now(), line))

        def on_disconnected(self, why):
            emit(_json_line("disconnected", room, "", why, now()))

        def on_retrying(self, attempt, failure, wait):
            emit(_json_line("retrying", room, "", "%s; attempt %d in %.1f s" % (_describe(failure)[0], attempt + 1, wait), now()))

        def on_reconnected(self, attempts):
            emit(_json_line("reconnected", room, "", "after %d attempt%s" % (attempts, "" if attempts == 1 else "s"), now()))

    chat = ReconnectingChat(
        server, credential, room, Report(), timeout=args.timeout, keepalive=args.keepalive, buffer=args.buffer
    )

    def feed() -> None:
        try:
            for line in _stdin_lines():
                if not line:
                    continue
                try:
                    chat.say(line)
                except ValueError as e:
                    emit(_json_line("error", room, "", "not sent: %s" % e, now()))
        except (OSError, RuntimeError):
            pass
        finally:
            chat.finish()

    threading.Thread(target=feed, name="chat-stdin", daemon=True).start()
    try:
        chat.run()
    except (protocol.Refused, protocol.ServerNotVerified) as e:
        return _failure(e)
    except Exception as e:
        if is_permanent(e):
            return _session_ended(e)
        raise
    finally:
        chat.close()
    return OK


def _session_ended(e) -> int:
    """A CLOSE that ends a chat for good, as auth-client says it: revoked (exit 3) or refused (5)."""
    if getattr(e, "code", 0) == 6:
        print("authgate: the server refused: %s" % _printable(str(e)), file=sys.stderr)
        return TRANSFER
    print("authgate: the server ended the session: %s" % _printable(str(e)), file=sys.stderr)
    return AUTH_REFUSED if getattr(e, "code", 0) == 2 else CONNECTION


def _chat(args: argparse.Namespace) -> int:
    """JSON lines mode: every stdin line is a message, every event a JSON line on stdout."""
    import threading

    if not _ROOM.fullmatch(args.room):
        return _usage("chat", _room_problem(args.room))
    target = _target(args)
    if isinstance(target, int):
        return target
    server, _, _, credential = target
    if args.buffer < 1:
        return _usage("chat", "--buffer must be at least 1")
    if args.reconnect:
        return _chat_reconnecting(args, server, credential)
    from .client import SessionEnded

    try:
        conn = connect(server, credential, args.timeout, on_penalty=_say)
    except (protocol.Refused, protocol.ServerNotVerified, OSError, EOFError, protocol.ProtocolError) as e:
        return _failure(e)
    ended: list = []
    answered = threading.Event()  # the server's first answer to joining the room

    def read() -> None:
        try:
            for event in conn.events(args.keepalive):
                print(_event_json(event), flush=True)
                if not answered.is_set() and event.kind == "error":
                    # the room given is refused (or its name invalid): exit 5, as auth-client
                    ended.append(SessionEnded(6, event.text))
                    break
                answered.set()
        except SessionEnded as e:
            ended.append(e)
        except Exception as e:  # noqa: BLE001 - whatever ends the reader ends the session
            ended.append(e)
        finally:
            answered.set()
            over.set()

    over = threading.Event()  # stdin ended, or the session did
    failed: list = []

    def feed() -> None:
        # bytes that are not UTF-8 are replaced, as auth-client does, never a traceback; read from
        # the descriptor, not sys.stdin: a thread still blocked in sys.stdin's buffered reader when
        # the session ends makes the interpreter abort at exit (exit 134, "could not acquire lock")
        try:
            for line in _stdin_lines():
                if ended:
                    break
                if line:
                    conn.say(line)
            # input shorter than the round trip still learns how its join went
            answered.wait(args.timeout)
        except Exception as e:  # noqa: BLE001 - said as the session's end, below
            failed.append(e)
        finally:
            over.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        conn.join(args.room)
        threading.Thread(target=feed, name="chat-stdin", daemon=True).start()
        over.wait()
        if failed and not ended:
            # a send fails once the session is gone: the reader says why (CLOSE, a reset)
            reader.join(2.0)
            if not ended:
                return _failure(failed[0])
        reader.join(0.5)
        if ended:
            e = ended[0]
            if isinstance(e, SessionEnded):
                return _session_ended(e)
            print("authgate: the server ended the session: %s" % _printable(str(e)), file=sys.stderr)
            return CONNECTION
        conn.close()
        return OK
    except OSError as e:
        return _failure(e)


def _stdin_lines():
    """Lines of standard input, read from descriptor 0 (no buffered reader to hold a lock), decoded
    as UTF-8 with bad bytes replaced, without their newline; the last one even without a newline."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pending = ""
    while True:
        chunk = os.read(0, 65536)
        pending += decoder.decode(chunk, final=not chunk)
        while "\n" in pending:
            line, pending = pending.split("\n", 1)
            yield line
        if not chunk:
            if pending:
                yield pending
            return


def _enroll(args: argparse.Namespace) -> int:
    from .client import enroll
    from .credential import EnrollmentToken

    server = args.server or os.environ.get("AUTHGATE_SERVER", "")
    text = args.token or os.environ.get("AUTHGATE_TOKEN", "")
    try:
        parse_server(server)
    except ValueError as e:
        print("authgate: %s" % _printable(str(e)), file=sys.stderr)
        return USAGE
    try:
        if text == "-":
            text = sys.stdin.read()
        if not text.strip():
            raise ValueError("no token: give --token TOKEN (or -) or set AUTHGATE_TOKEN")
        token = EnrollmentToken.parse(text)
        token.credential(args.host_key)  # a token without a pin needs --host-key: say so now
    except (ValueError, CredentialError) as e:
        return _usage("enroll", _printable(str(e)))
    try:
        result, server_id = enroll(server, token, args.out, args.id or "", args.timeout, args.host_key)
    except FileExistsError:
        print("authgate: %s exists; enroll writes a new credential and never overwrites one" % args.out, file=sys.stderr)
        return USAGE
    except protocol.Refused as e:
        why = {
            protocol.REFUSED_AUTH: "it is wrong, or the server does not know it",
            protocol.REFUSED_REVOKED: "the operator revoked it",
            protocol.REFUSED_EXPIRED: "it expired or is used up",
        }.get(e.code)
        if why is None:
            return _failure(e)
        print("authgate: the server refused the token: %s (token %s)" % (why, token.token_id), file=sys.stderr)
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
    enrolled = Credential.load(args.out)
    print(
        "this machine's key fingerprint is %s: the operator should see the same in 'auth-server"
        " keys list --long' before approving; the server's host key is %s"
        % (
            protocol.fingerprint_of_hash(protocol.sha256(enrolled.keys.stored_key)),
            ", ".join(enrolled.host_keys),
        ),
        file=sys.stderr,
    )
    if result.status == "pending":
        print("waiting for approval: on the server run: auth-server keys approve %s" % _printable(result.client_id), file=sys.stderr)
        if args.wait > 0:
            return _await_approval(server, enrolled, args)
    return OK


def _await_approval(server: str, credential: Credential, args: argparse.Namespace) -> int:
    """``enroll --wait``: pings with the new credential, backing off from 2 s to 30 s, until it is
    let in (0), denied (3, at once: asking again would only add failures fail2ban bans on), or the
    wait is over (3); as auth-client's."""
    from .unattended import is_permanent, not_before_penalty_ends

    end = time.monotonic() + args.wait
    pause = 2.0
    last = "still waiting for approval"
    while True:
        wait = pause
        try:
            # this loop is the retry (as auth-client's): one attempt each time, within --wait
            with connect(server, credential, args.timeout, busy_retry=0) as conn:
                conn.ping()
            print("approved: %s is let in" % _printable(credential.client_id), file=sys.stderr)
            return OK
        except protocol.Refused as e:
            if e.code == protocol.REFUSED_REVOKED:
                print(
                    "authgate: denied by the operator: %s is not let in (the credential stays in %s)"
                    % (_printable(credential.client_id), args.out),
                    file=sys.stderr,
                )
                return AUTH_REFUSED
            if e.code == protocol.REFUSED_AUTH:
                last = "not known to the server yet"  # another server of a cluster may not have it yet
            elif e.code == protocol.REFUSED_PENDING:
                last = "still waiting for approval"
            elif is_permanent(e):
                return _failure(e)
            else:
                last = str(e)
                wait = not_before_penalty_ends(e, wait)
        except (protocol.ServerNotVerified, protocol.UnsupportedVersion) as e:
            return _failure(e)
        except (OSError, EOFError, protocol.ProtocolError) as e:
            last = _printable(str(e)) or type(e).__name__
        left = end - time.monotonic()
        if left <= 0:
            print(
                "authgate: not let in after %d s: %s; the credential stays in %s"
                % (args.wait, last, args.out),
                file=sys.stderr,
            )
            return AUTH_REFUSED
        time.sleep(min(wait, left))
        pause = min(pause * 2, 30.0)


def _duration(text: str) -> float:
    """``500ms``, ``10s``, ``5m``, ``2h``, ``1d``, or a bare number of seconds, as auth-client's."""
    import re

    match = re.fullmatch(r"(\d{1,9}(?:\.\d+)?)(ms|s|m|h|d)?", text.strip())
    if match is None:
        raise argparse.ArgumentTypeError("'%s' is not a duration; use e.g. 500ms, 10s, 5m, 2h" % text)
    unit = {None: 1, "ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
    return float(match.group(1)) * unit


def _timeout(text: str) -> float:
    """A ``--timeout``: a duration more than zero (every read the server controls has a deadline)."""
    seconds = _duration(text)
    if seconds <= 0:
        raise argparse.ArgumentTypeError("'%s' would wait forever; give a time, e.g. 500ms, 10s, 5m" % text)
    return seconds


def _list(args: argparse.Namespace) -> int:
    """``list [--json]``: as auth-client's."""
    import json

    target = _target(args)
    if isinstance(target, int):
        return target
    server, _, _, credential = target
    try:
        with connect(server, credential, args.timeout, on_penalty=_say) as conn:
            files = conn.list()
    except (protocol.Refused, protocol.ServerNotVerified, OSError, EOFError, protocol.ProtocolError, ListRefused) as e:
        return _failure(e)
    if args.json:
        print(_printable(json.dumps(
            [{"name": f.name, "size": f.size, "modified": _iso(f.modified_ms), "sha256": f.sha256.hex(), "shared": f.shared}
             for f in files],
            ensure_ascii=False, separators=(",", ":"),
        )))
    elif not files:
        print("authgate: no files are published for this client", file=sys.stderr)
    else:
        import datetime

        width = max(4, min(60, max(len(f.name) for f in files)))
        row = "%-" + str(width) + "s  %14s  %-16s  %-12s  %s"
        print(row % ("NAME", "SIZE", "MODIFIED (UTC)", "SHA256", "FROM"))
        for f in files:
            try:
                when = datetime.datetime.fromtimestamp(f.modified_ms // 1000, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
            except (OverflowError, ValueError, OSError):
                when = "?"
            print(row % (_printable(f.name), f.size, when, f.sha256.hex()[:12], "shared" if f.shared else "own"))
    return OK


def _get(args: argparse.Namespace) -> int:
    """``get NAME... [--out DIR] [--no-resume] [--if-changed]``: as auth-client's."""
    from .unattended import upload_name_problem

    for name in args.names:
        problem = upload_name_problem(name) or ("names do not start with '.'" if name.startswith(".") else None)
        if problem:
            print("authgate: '%s' is not a published file name: %s" % (_printable(name), problem), file=sys.stderr)
            return USAGE
    if not os.path.isdir(args.out):
        print("authgate: %s: no such directory" % args.out, file=sys.stderr)
        return FAILURE
    target = _target(args)
    if isinstance(target, int):
        return target
    server, _, _, credential = target
    refused = 0
    try:
        with connect(server, credential, args.timeout, on_penalty=_say) as conn:
            for name in args.names:
                outcome = conn.get(name, args.out, resume=args.resume, if_changed=args.if_changed)
                print(_printable(outcome.describe()), flush=True)
                refused += 0 if outcome.ok else 1
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
        with connect(server, credential, args.timeout, on_penalty=_say) as conn:
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


def _send(args: argparse.Namespace) -> int:
    """``send``: says TEXT (or each stdin line) in a room and leaves; with --udp as datagrams."""
    if not _ROOM.fullmatch(args.room):
        return _usage("send", _room_problem(args.room))
    target = _target(args)
    if isinstance(target, int):
        return target
    server, _, _, credential = target
    from .unattended import chat_text_problem

    if args.text:
        lines = [" ".join(args.text)]
    else:
        # Lines as auth-client reads them: ended by \n, \r or \r\n; bytes that are not UTF-8
        # become U+FFFD.
        text = sys.stdin.buffer.read().decode("utf-8", "replace")
        lines = re.split(r"\r\n|\r|\n", text)
        if lines and lines[-1] == "":
            lines.pop()
    for line in lines:
        # checked as auth-client checks them, before anything is sent
        problem = chat_text_problem(line)
        if problem is None and args.udp and len(line.encode("utf-8")) > protocol.DATAGRAM_MAX_LINE:
            problem = "a line of %d bytes does not fit one datagram (at most %d); send it without --udp" % (
                len(line.encode("utf-8")), protocol.DATAGRAM_MAX_LINE)
        if problem is not None:
            return _usage("send", problem)
    from .client import DatagramsUnavailable, RoomRefused, SessionEnded

    try:
        with connect(server, credential, args.timeout, on_penalty=_say) as conn:
            conn.join(args.room, speak_only=True)  # hears nothing, so never a slow consumer
            try:
                conn.await_joined(args.room)
            except RoomRefused as e:
                print("authgate: the server refused: %s" % _printable(str(e)), file=sys.stderr)
                return TRANSFER
            if not args.udp:
                for line in lines:
                    conn.say(line)
                conn.sync()
                print("sent %d line%s to room '%s'" % (len(lines), "" if len(lines) == 1 else "s", args.room),
                      file=sys.stderr)
                return OK
            try:
                sender = conn.open_datagrams()
            except DatagramsUnavailable as e:
                print("authgate: %s" % e, file=sys.stderr)
                return TRANSFER
            try:
                for line in lines:
                    sender.say(line)
                received, _, _ = sender.await_received()
            finally:
                sender.close()
            print("sent %d datagram%s to room '%s' (UDP %d): %d received by the server, %d lost"
                  % (sender.sent, "" if sender.sent == 1 else "s", args.room, sender.port, received,
                     sender.sent - received),
                  file=sys.stderr)
            return OK
    except SessionEnded as e:
        return _failure(e)
    except (protocol.Refused, protocol.ServerNotVerified, OSError, EOFError, protocol.ProtocolError) as e:
        return _failure(e)


class _Parser(argparse.ArgumentParser):
    """argparse reporting a mistake as auth-client does: the mistake in one line, then where help
    is (not a usage block); a missing argument in picocli's words."""

    def error(self, message: str):
        missing = re.fullmatch(r"the following arguments are required: (.+)", message)
        invalid = re.fullmatch(r"argument (--[a-z-]+): (.+)", message, re.S)
        if invalid and invalid.group(2) == "expected one argument":
            option = invalid.group(1)
            metavar = next((a.metavar for a in self._actions if option in a.option_strings), None)
            message = "Missing required parameter for option '%s' (%s)" % (
                option, metavar or option.lstrip("-").upper().replace("-", "_"))
        elif invalid:
            message = "Invalid value for option '%s': %s" % (invalid.group(1), invalid.group(2))
        if missing:
            message = "Missing required parameter: %s" % ", ".join(
                "'%s'" % name.strip() for name in missing.group(1).split(","))
        command = self.prog.split(" ", 1)[1] if " " in self.prog else ""
        print("authgate: %s" % _printable(message), file=sys.stderr)
        print("see 'python3 -m authgate %s--help'" % (command + " " if command else ""), file=sys.stderr)
        sys.exit(USAGE)


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="authgate", description="authgate machine client")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    ping = commands.add_parser("ping", help="authenticate, verify the server, time a sealed round trip")
    ping.add_argument("--server", help="HOST[:PORT]; default AUTHGATE_SERVER; port 7350 unless given")
    ping.add_argument("--key", help="credential file (mode 0600); default AUTHGATE_KEY")
    ping.add_argument("--accept-new", action="store_true", help="if the credential pins no host key, trust the one the server presents now and write it into the credential")
    ping.add_argument("--timeout", type=_timeout, metavar="DURATION", default=10.0, help="for connecting and each reply: 500ms, 10s, 5m (default 10s)")
    upload = commands.add_parser("upload", help="upload files: streamed, SHA-256 checked, resumed")
    upload.add_argument("--server", help="HOST[:PORT]; default AUTHGATE_SERVER; port 7350 unless given")
    upload.add_argument("--key", help="credential file (mode 0600); default AUTHGATE_KEY")
    upload.add_argument("--accept-new", action="store_true", help="if the credential pins no host key, trust the one the server presents now and write it into the credential")
    upload.add_argument("--timeout", type=_timeout, metavar="DURATION", default=10.0, help="for connecting and each reply: 500ms, 10s, 5m (default 10s)")
    upload.add_argument("--overwrite", action="store_true", help="replace files of the same name on the server")
    upload.add_argument("--no-resume", dest="resume", action="store_false", help="start over instead of resuming")
    upload.add_argument("--watch", metavar="DIR", help="upload every file that lands in DIR once complete; runs until SIGTERM")
    upload.add_argument("--done", metavar="DIR", help="with --watch: move each stored file here")
    upload.add_argument("--delete", action="store_true", help="with --watch: delete each file once stored")
    upload.add_argument("--settle", type=_duration, metavar="DURATION", default=2.0, help="with --watch: how long a file must stay unchanged (default 2s)")
    upload.add_argument("--poll", type=_duration, metavar="DURATION", default=1.0, help="with --watch: how often DIR is listed (default 1s)")
    upload.add_argument("files", nargs="*", metavar="FILE")
    listing = commands.add_parser("list", help="list the files published for this machine")
    listing.add_argument("--server", help="HOST[:PORT]; default AUTHGATE_SERVER; port 7350 unless given")
    listing.add_argument("--key", help="credential file (mode 0600); default AUTHGATE_KEY")
    listing.add_argument("--accept-new", action="store_true", help="if the credential pins no host key, trust the one the server presents now and write it into the credential")
    listing.add_argument("--timeout", type=_timeout, metavar="DURATION", default=30.0, help="for connecting and each reply: 500ms, 10s, 5m (default 30s)")
    listing.add_argument("--json", action="store_true", help="one JSON array instead of a table")
    get = commands.add_parser("get", help="fetch published files: staged, SHA-256 checked, renamed into place")
    get.add_argument("--server", help="HOST[:PORT]; default AUTHGATE_SERVER; port 7350 unless given")
    get.add_argument("--key", help="credential file (mode 0600); default AUTHGATE_KEY")
    get.add_argument("--accept-new", action="store_true", help="if the credential pins no host key, trust the one the server presents now and write it into the credential")
    get.add_argument("--timeout", type=_timeout, metavar="DURATION", default=30.0, help="for connecting and each reply: 500ms, 10s, 5m (default 30s)")
    get.add_argument("--out", default=".", help="where the files go (default: the current directory)")
    get.add_argument("--resume", dest="resume", action="store_true", default=True, help="continue an interrupted download (default)")
    get.add_argument("--no-resume", dest="resume", action="store_false", help="start over")
    get.add_argument("--if-changed", action="store_true", help="transfer nothing when the local copy has the server's SHA-256")
    get.add_argument("names", nargs="+", metavar="NAME")
    chat = commands.add_parser("chat", help="chat in a room: JSON lines out, stdin lines in")
    chat.add_argument("--server", help="HOST[:PORT]; default AUTHGATE_SERVER; port 7350 unless given")
    chat.add_argument("--key", help="credential file (mode 0600); default AUTHGATE_KEY")
    chat.add_argument("--accept-new", action="store_true", help="if the credential pins no host key, trust the one the server presents now and write it into the credential")
    chat.add_argument("--timeout", type=_timeout, metavar="DURATION", default=10.0, help="for connecting: 500ms, 10s, 5m (default 10s)")
    chat.add_argument("--room", default="lobby", help="the room to join (default lobby)")
    chat.add_argument("--keepalive", type=_duration, metavar="DURATION", default=60.0, help="ping a quiet server this often (default 60s)")
    chat.add_argument("--json", action="store_true", help="JSON lines (the only mode of this client; accepted for auth-client's scripts)")
    chat.add_argument("--reconnect", action="store_true", help="reconnect with backoff, rejoin and resend unconfirmed lines; a refused key is not retried")
    chat.add_argument("--buffer", type=int, default=1000, help="with --reconnect: lines that may wait for confirmation (default 1000)")
    send = commands.add_parser("send", help="say TEXT (or each stdin line) in a room and leave; --udp as datagrams")
    send.add_argument("--server", help="HOST[:PORT]; default AUTHGATE_SERVER; port 7350 unless given")
    send.add_argument("--key", help="credential file (mode 0600); default AUTHGATE_KEY")
    send.add_argument("--accept-new", action="store_true", help="if the credential pins no host key, trust the one the server presents now and write it into the credential")
    send.add_argument("--timeout", type=_timeout, metavar="DURATION", default=10.0, help="for connecting and each reply: 500ms, 10s, 5m (default 10s)")
    send.add_argument("--room", default="lobby", help="the room (default lobby)")
    send.add_argument("--udp", action="store_true", help="each line as one verified datagram; reports how many arrived")
    send.add_argument("text", nargs="*", metavar="TEXT")
    enrol = commands.add_parser("enroll", help="enroll this machine with a one-time token")
    enrol.add_argument("--server", help="HOST[:PORT]; default AUTHGATE_SERVER; port 7350 unless given")
    enrol.add_argument("--token", help="the token (agt2-...), or - for stdin; default AUTHGATE_TOKEN")
    enrol.add_argument("--host-key", help="the server's host key fingerprint (SHA256:...), only for a token made before host keys (agt1-...)")
    enrol.add_argument("--id", help="the client id to ask for, where the token lets the machine choose")
    enrol.add_argument("--out", required=True, help="where to write the new credential (mode 0600)")
    enrol.add_argument("--timeout", type=_timeout, metavar="DURATION", default=10.0, help="for connecting and each reply: 500ms, 10s, 5m (default 10s)")
    enrol.add_argument("--wait", type=_duration, default=0.0, metavar="DURATION", help="if the token needs an operator's approval, keep checking (with backoff) this long for it; exit 0 once let in, 3 if still not (default 0s: do not wait)")
    pin = commands.add_parser("pin", help="show the server host keys the credential trusts, or pin the fingerprints given")
    pin.add_argument("--key", help="credential file (mode 0600); default AUTHGATE_KEY")
    pin.add_argument("--replace", action="store_true", help="trust only the fingerprints given")
    pin.add_argument("fingerprints", nargs="*", metavar="SHA256:...", help="as 'auth-server keys host-key' prints them")
    credential = commands.add_parser("credential", help="inspect a credential file")
    inspect = credential.add_subparsers(dest="action", metavar="show")
    show = inspect.add_parser("show", help="client id, key id, key fingerprint, pins, file mode; never the secret")
    show.add_argument("file", nargs="?", metavar="FILE", help="the credential file; default AUTHGATE_KEY")
    for connecting in (ping, upload, listing, get, chat, send):
        connecting.add_argument(
            "--verbose", action="store_true",
            help="say each step of the connection on stderr (connected, HELLO and its host key, AUTH sent, verified)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:
        return USAGE if e.code else OK
    if getattr(args, "verbose", False):
        from . import client as _client

        _client.STEPS = lambda text: print("authgate: %s" % _printable(text), file=sys.stderr, flush=True)
    handler = {"upload": _upload, "chat": _chat, "enroll": _enroll, "list": _list, "get": _get,
               "send": _send, "pin": _pin, "credential": _credential}.get(args.command, _ping)
    try:
        return handler(args)
    except KeyboardInterrupt:
        print(_fresh_line() + "authgate: interrupted", file=sys.stderr)  # one line, never a traceback
        return INTERRUPTED


def _credential(args: argparse.Namespace) -> int:
    """As ``auth-client credential show [FILE]``: what the credential holds, never its secret."""
    if args.action != "show":
        return _usage("credential", "missing subcommand: credential show FILE")
    key = args.file or os.environ.get("AUTHGATE_KEY", "")
    if not key:
        return _usage("credential show", "no credential: give FILE or set AUTHGATE_KEY")
    try:
        credential = Credential.load(key)
    except CredentialError as e:
        print("authgate: %s" % _printable(str(e)), file=sys.stderr)  # a file name may hold anything
        return FAILURE
    except (OSError, UnicodeDecodeError) as e:
        print("authgate: cannot read %s: %s" % (_printable(key), _printable(str(e))), file=sys.stderr)
        return FAILURE
    import hashlib
    import pwd
    import stat

    key_fingerprint = protocol.fingerprint_of_hash(hashlib.sha256(credential.keys.stored_key).digest())
    print("client-id  %s" % _printable(credential.client_id))
    print("key-id     %s" % _printable(credential.key_id))
    print("key        %s (as 'auth-server keys list --long' shows it)" % key_fingerprint)
    if not credential.host_keys:
        print("host-key   none pinned: pin one with 'pin', or connect once with --accept-new")
    for pin in credential.host_keys:
        print("host-key   %s (pinned)" % pin)
    real = os.path.realpath(key)  # the file the credential was read from, links followed
    st = os.stat(real)
    try:
        owner = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        owner = str(st.st_uid)
    print("file       %s, owned by %s, mode %04o" % (_printable(real), owner, stat.S_IMODE(st.st_mode)))
    return OK


def _pin(args: argparse.Namespace) -> int:
    """As ``auth-client pin``: list the pins, add the fingerprints given, or --replace them."""
    from .credential import write_pins

    key = args.key or os.environ.get("AUTHGATE_KEY", "")
    if not key:
        print("authgate: no credential: give --key FILE or set AUTHGATE_KEY", file=sys.stderr)
        return USAGE
    for fingerprint in args.fingerprints:
        if not protocol.is_fingerprint(fingerprint):
            print(
                "authgate: not a host key fingerprint: '%s' (expected SHA256: and 43 base64 characters)"
                % _printable(fingerprint),
                file=sys.stderr,
            )
            return USAGE
    if args.replace and not args.fingerprints:
        print("authgate: --replace needs the fingerprints to trust instead", file=sys.stderr)
        return USAGE
    try:
        credential = Credential.load(key)
    except CredentialError as e:
        print("authgate: %s" % _printable(str(e)), file=sys.stderr)  # a file name may hold anything
        return FAILURE
    if not args.fingerprints:
        for pin in credential.host_keys:
            print(pin)
        if not credential.host_keys:
            print("%s pins no host key: pin one, or connect once with --accept-new" % key, file=sys.stderr)
        return OK
    pins = [] if args.replace else list(credential.host_keys)
    for fingerprint in args.fingerprints:
        if fingerprint not in pins:
            pins.append(fingerprint)
    if len(pins) > 16:
        print("authgate: a credential pins at most 16 keys", file=sys.stderr)
        return USAGE
    write_pins(key, pins)
    for pin in pins:
        print(pin)
    print("pinned in %s" % key, file=sys.stderr)
    return OK


if __name__ == "__main__":
    sys.exit(main())
