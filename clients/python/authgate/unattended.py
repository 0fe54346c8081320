"""For machines nobody watches: reconnecting with backoff, a chat that resends what the server has
not confirmed, and a watched upload folder. The same rules as the Java client's
``ReconnectingChat`` and ``FolderWatcher`` (docs/CLIENT.md)."""

from __future__ import annotations

import collections
import os
import random
import socket
import stat
import struct
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterable

from . import protocol
from .client import Connection, SessionEnded, SOURCE_CHANGED, UploadCancelled, UploadOutcome, connect
from .credential import Credential

CLOSE_REVOKED = 2
CLOSE_NOT_PERMITTED = 6
CLOSE_LOCKED = 7
MAX_MESSAGE_BYTES = 4096


@dataclass(frozen=True)
class Backoff:
    """Exponential steps from ``first`` doubling up to ``largest`` seconds, with "equal jitter":
    each wait is between half and all of its step, so a fleet that lost its server together does
    not come back together."""

    first: float = 0.5
    largest: float = 60.0

    def __post_init__(self) -> None:
        if self.first <= 0 or self.largest < self.first:
            raise ValueError("backoff steps must be positive and the largest not below the first")

    def delay(self, retry: int, rng: random.Random | None = None) -> float:
        """The wait before retry number ``retry`` (1 for the first)."""
        step = self.first
        for _ in range(1, max(retry, 1)):
            if step >= self.largest:
                break
            step = min(self.largest, step * 2)
        step = min(step, self.largest)
        return step / 2 + (rng or _RANDOM).uniform(0, step / 2)


_RANDOM = random.SystemRandom()


def is_permanent(failure: BaseException) -> bool:
    """Whether waiting cannot fix ``failure``: the key was refused (wrong, unknown, pending,
    revoked, expired) or revoked mid-session, the version is not spoken, the server could not prove itself,
    or the session is not permitted. Refused connections, resets, timeouts and a busy server pass."""
    if isinstance(failure, protocol.Refused):
        return failure.code in (
            protocol.REFUSED_AUTH,
            0x03,
            protocol.REFUSED_PENDING,
            protocol.REFUSED_REVOKED,
            protocol.REFUSED_EXPIRED,
            protocol.REFUSED_LOCKED,
        )
    if isinstance(failure, protocol.ServerNotVerified):
        return True
    if isinstance(failure, SessionEnded):
        return failure.code in (CLOSE_REVOKED, CLOSE_NOT_PERMITTED, CLOSE_LOCKED)
    return False


TRANSIENT = (OSError, EOFError, protocol.ProtocolError, protocol.Refused, SessionEnded)


def connect_retrying(
    server: str,
    credential: Credential,
    timeout: float = 10.0,
    backoff: Backoff = Backoff(),
    on_retry: Callable[[int, BaseException, float], None] = lambda attempt, failure, wait: None,
    stop: threading.Event | None = None,
) -> Connection | None:
    """Connects, retrying failures that may pass with ``backoff``; ``on_retry(attempt, failure,
    wait)`` hears each. Raises the first permanent failure; returns None if ``stop`` is set."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return connect(server, credential, timeout, busy_retry=0)
        except TRANSIENT as e:
            if is_permanent(e):
                raise
            wait = not_before_penalty_ends(e, backoff.delay(attempt))
            on_retry(attempt, e, wait)
            if stop is None:
                time.sleep(wait)
            elif stop.wait(wait):
                return None


def not_before_penalty_ends(failure: BaseException, wait: float) -> float:
    """``wait``, or the penalty ``failure`` names plus a second when that is longer: a penalised
    address tried sooner is only refused again."""
    if isinstance(failure, protocol.Refused) and failure.code == protocol.REFUSED_PENALIZED:
        if failure.retry_after >= wait:
            # capped: the refusal comes before the server proved itself (anyone on the path can
            # send one), and a server's own penalties end within --penalty-max (10 min by default)
            return min(failure.retry_after + 1.0, LONGEST_PENALTY_WAIT)
    return wait


LONGEST_PENALTY_WAIT = 600.0
"""The longest a reconnecting client waits on a server's word that its address is penalised."""


def chat_text_problem(text: str) -> str | None:
    """What the server would refuse in ``text`` as a message (section 5.4), or None."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        return "message is not valid UTF-8"
    if not data:
        return "message is empty"
    if len(data) > MAX_MESSAGE_BYTES:
        return "message is %d bytes; at most %d" % (len(data), MAX_MESSAGE_BYTES)
    for c in text:
        o = ord(c)
        if (o < 0x20 and c != "\t") or o == 0x7F or 0x80 <= o < 0xA0 or o in (0x2028, 0x2029):
            return "message contains control characters (only tab is allowed)"
    return None


class ChatListener:
    """What a :class:`ReconnectingChat` reports; override what you need. Called on its threads."""

    def on_event(self, event: protocol.ChatEvent) -> None:
        """A chat event from the server (after a reconnect the room's history comes again)."""

    def on_sent(self, line: int, text: str) -> None:
        """Line number ``line`` reached the server."""

    def on_retrying(self, attempt: int, failure: BaseException, wait: float) -> None:
        """Connection attempt ``attempt`` failed (a failure waiting may fix); the next comes after
        ``wait`` seconds. Said for the first connection too."""

    def on_disconnected(self, why: str) -> None:
        """The connection was lost; lines keep being buffered while reconnecting."""

    def on_reconnected(self, attempts: int) -> None:
        """Connected and rejoined again after ``attempts`` connection attempts."""


class ReconnectingChat:
    """A chat that reconnects with backoff, rejoins its room and resends every line the server had
    not confirmed. The server handles a session's requests in order, so the PONG to a PING sent
    after some lines confirms them; lines are numbered from 1 in the order :meth:`say` took them.
    A line sent but unconfirmed when the connection broke is sent again (at least once, never
    lost). At most ``buffer`` lines wait; :meth:`say` blocks while that many do. A refused or
    revoked key, or a refused room, ends :meth:`run` with that exception, without retrying."""

    def __init__(
        self,
        server: str,
        credential: Credential,
        room: str,
        listener: ChatListener,
        *,
        timeout: float = 10.0,
        keepalive: float = 60.0,
        buffer: int = 1000,
        backoff: Backoff = Backoff(),
    ):
        if buffer < 1:
            raise ValueError("the buffer must hold at least one line")
        self._server, self._credential, self._room = server, credential, room
        self._listener = listener
        self._timeout, self._keepalive, self._capacity, self._backoff = timeout, keepalive, buffer, backoff
        self._lock = threading.Condition()
        self._unconfirmed: collections.deque[tuple[int, str]] = collections.deque()
        self._next = 1
        self._finishing = False
        self._closed = threading.Event()
        # set by close(), or by finish() with nothing left to send: no reason to connect any more
        self._stop_connecting = threading.Event()

    def say(self, text: str) -> int:
        """Queues ``text``; blocks while the buffer is full. Returns the line's number.
        Raises ValueError for a line the server would refuse (nothing is queued)."""
        problem = chat_text_problem(text)
        if problem:
            raise ValueError(problem)
        with self._lock:
            while len(self._unconfirmed) >= self._capacity and not self._closed.is_set():
                self._lock.wait()
            if self._closed.is_set() or self._finishing:
                raise RuntimeError("the chat is ending; no more lines")
            number = self._next
            self._next += 1
            self._unconfirmed.append((number, text))
            self._lock.notify_all()
            return number

    def pending(self) -> int:
        """Lines waiting for the server's confirmation."""
        with self._lock:
            return len(self._unconfirmed)

    def finish(self) -> None:
        """No more lines: :meth:`run` returns once every buffered line is confirmed."""
        with self._lock:
            self._finishing = True
            if not self._unconfirmed:
                self._stop_connecting.set()
            self._lock.notify_all()

    def close(self) -> None:
        """Stops at once; unconfirmed lines are abandoned."""
        self._closed.set()
        self._stop_connecting.set()
        with self._lock:
            self._lock.notify_all()

    def run(self) -> None:
        """Connects, joins and sends across reconnects until :meth:`finish` (all confirmed) or
        :meth:`close`. Raises the first failure waiting cannot fix (:func:`is_permanent`)."""
        connected_before = False
        while not self._closed.is_set():
            attempts = [1]

            def retried(attempt: int, failure: BaseException, wait: float) -> None:
                attempts[0] = attempt + 1
                self._listener.on_retrying(attempt, failure, wait)

            conn = connect_retrying(
                self._server, self._credential, self._timeout, self._backoff, retried, self._stop_connecting
            )
            if conn is None:
                return
            if connected_before:
                self._listener.on_reconnected(attempts[0])
            connected_before = True
            session = _ChatSession(self, conn)
            if session.drive():
                return
            if session.permanent is not None:
                raise session.permanent
            if self._closed.is_set():
                return
            self._listener.on_disconnected(session.why)


class _ChatSession:
    """One connection's part of a :class:`ReconnectingChat`."""

    def __init__(self, chat: ReconnectingChat, conn: Connection):
        self.chat = chat
        self.conn = conn
        self.joined = False
        self.ended = False
        self.why = ""
        self.permanent: BaseException | None = None
        self.confirmed = 0
        self.send_lock = threading.Lock()
        conn._sock.settimeout(chat._keepalive * 3)

    def send(self, inner: int, body: bytes) -> None:
        with self.send_lock:
            self.conn._channel.send(inner, body)

    def drive(self) -> bool:
        """True when done (finished or closed); False when the connection ended."""
        chat = self.chat
        reader = threading.Thread(target=self.read, name="chat-reader", daemon=True)
        reader.start()
        sent_through = 0
        try:
            room = chat._room.encode("utf-8")
            self.send(protocol.CHAT_JOIN, bytes([len(room)]) + room)
            last_write = time.monotonic()
            with chat._lock:
                while True:
                    if self.ended:
                        return False
                    if chat._closed.is_set():
                        return True
                    if self.joined:
                        if chat._finishing and not chat._unconfirmed:
                            self.send(protocol.CHAT_LEAVE, b"")
                            self.conn.close()
                            return True
                        batch = [line for line in chat._unconfirmed if line[0] > sent_through]
                        if batch:
                            chat._lock.release()
                            try:
                                for number, text in batch:
                                    self.send(protocol.CHAT_SAY, text.encode("utf-8"))
                                # Its PONG confirms every line up to the last of the batch.
                                self.send(protocol.PING, struct.pack(">Q", batch[-1][0]))
                                last_write = time.monotonic()
                            finally:
                                chat._lock.acquire()
                            sent_through = batch[-1][0]
                            continue
                    left = chat._keepalive - (time.monotonic() - last_write)
                    if left <= 0:
                        chat._lock.release()
                        try:
                            self.send(protocol.PING, struct.pack(">Q", sent_through))
                            last_write = time.monotonic()
                        finally:
                            chat._lock.acquire()
                        continue
                    chat._lock.wait(left)
        except (OSError, protocol.ProtocolError) as e:
            with chat._lock:
                if not self.ended:
                    # The reader usually learns why (the server's CLOSE, a reset) at about now.
                    chat._lock.wait_for(lambda: self.ended, 2.0)
                if not self.ended:
                    self.end("the connection failed: %s" % e)
            return False
        finally:
            try:
                self.conn._sock.close()
            except OSError:
                pass
            reader.join(2.0)

    def read(self) -> None:
        chat = self.chat
        try:
            while True:
                inner, body = self.conn._channel.receive()
                if inner == protocol.CHAT_EVENT:
                    self.on_event(protocol.parse_chat_event(body))
                elif inner == protocol.PONG and len(body) == 8:
                    self.confirm(struct.unpack(">Q", body)[0])
                elif inner == protocol.PING and len(body) == 8:
                    self.send(protocol.PONG, body)
                elif inner == protocol.CLOSE:
                    code, text = protocol.parse_close(body)
                    with chat._lock:
                        if code in (CLOSE_REVOKED, CLOSE_NOT_PERMITTED, CLOSE_LOCKED):
                            self.permanent = SessionEnded(code, text)
                        self.end("the server ended the session: %s" % text)
                    return
                else:
                    raise protocol.ProtocolError("the server sent message 0x%02x in a chat" % inner)
        except (socket.timeout, TimeoutError):
            with chat._lock:
                self.end("the server went silent: no answer to 3 keepalives")
        except (OSError, EOFError, protocol.ProtocolError) as e:
            with chat._lock:
                self.end("the connection was lost: %s" % (e if str(e) else type(e).__name__))

    def on_event(self, event: protocol.ChatEvent) -> None:
        chat = self.chat
        with chat._lock:
            if not self.joined:
                if event.kind == "joined" and event.room == chat._room and event.sender == chat._credential.client_id:
                    self.joined = True
                    chat._lock.notify_all()
                elif event.kind == "error":
                    # The first ERROR before our JOINED answers the JOIN: the room is refused.
                    # (the text names the room: "room 'dev' is not permitted for this client; ...")
                    self.permanent = SessionEnded(CLOSE_NOT_PERMITTED, event.text)
                    chat._listener.on_event(event)
                    self.end(event.text)
                    return
        chat._listener.on_event(event)

    def confirm(self, token: int) -> None:
        chat = self.chat
        with chat._lock:
            if token <= self.confirmed:
                return
            self.confirmed = token
            while chat._unconfirmed and chat._unconfirmed[0][0] <= token:
                number, text = chat._unconfirmed.popleft()
                chat._listener.on_sent(number, text)
            chat._lock.notify_all()

    def end(self, why: str) -> None:
        """Called with the chat's lock held."""
        if self.ended:
            return
        self.ended = True
        self.why = why
        self.chat._lock.notify_all()


class WatchListener:
    """What a :class:`FolderWatcher` reports; override what you need. Called on its thread."""

    def stored(self, path: str, outcome: UploadOutcome, moved_to: str | None) -> None:
        """``path`` was stored, then moved to ``moved_to`` (None: deleted)."""

    def refused(self, path: str, outcome: UploadOutcome, retry_in: float) -> None:
        """``path`` was refused; it stays and is tried again after ``retry_in`` seconds."""

    def skipped(self, path: str, why: str, retry_in: float) -> None:
        """``path`` cannot be taken; it stays and is looked at again after ``retry_in``."""

    def disconnected(self, failure: BaseException, retry_in: float) -> None:
        """The connection failed or could not be made; the next try is in ``retry_in``."""


def _state(path: str) -> tuple[int, int, int, int, int] | None:
    """Identity, size, modification and change time, or None for anything but a regular file."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


def upload_name_problem(name: str) -> str | None:
    """What the server would refuse in ``name`` (section 5.3's name rule), or None."""
    if name in ("", ".", ".."):
        return "'%s' is not a file name" % name
    if name.startswith(".authgate-"):
        return "names starting with '.authgate-' are reserved by the server"
    for c in ("/", "\\"):
        if c in name:
            return "the name contains '%s'" % c
    for c in name:
        o = ord(c)
        if o < 0x20 or 0x7F <= o < 0xA0 or o in (0x061C, 0x200E, 0x200F, 0x2028, 0x2029) or 0x202A <= o <= 0x202E or 0x2066 <= o <= 0x2069:
            return "the name contains a control character (C0, C1, a bidirectional control or a line separator)"
    try:
        if len(name.encode("utf-8")) > 255:
            return "the name is longer than 255 bytes"
    except UnicodeEncodeError:
        return "its name is not valid UTF-8 (this process's locale); rename it"
    return None


class FolderWatcher:
    """Uploads every file that lands in ``folder`` once it has stayed unchanged for ``settle``
    seconds (dotfiles, ``*.tmp``, subfolders and symbolic links are left alone); moves it to
    ``done`` (or deletes it when ``done`` is None) only after the server stored it. A refused file
    stays and is retried after a per-file backoff; a lost connection is retried with ``backoff``
    and the file resumes; if the connection was lost after the server accepted a file's name, the
    next attempt replaces that name (only this file can be there). A permanent failure (a refused
    or revoked key) ends :meth:`run` with it. :meth:`stop` ends it after the current chunk."""

    def __init__(
        self,
        server: str,
        credential: Credential,
        folder: str,
        done: str | None,
        listener: WatchListener,
        *,
        settle: float = 2.0,
        poll: float = 1.0,
        timeout: float = 10.0,
        overwrite: bool = False,
        backoff: Backoff = Backoff(),
        retry: Backoff = Backoff(5.0, 300.0),
    ):
        if poll <= 0 or settle < 0:
            raise ValueError("the poll interval must be positive and the settle time not negative")
        self.server, self.credential, self.folder, self.done = server, credential, folder, done
        self.listener = listener
        self.settle, self.poll, self.timeout, self.overwrite = settle, poll, timeout, overwrite
        self.backoff, self.retry = backoff, retry
        self._stop = threading.Event()
        self._seen: dict[str, tuple[tuple, float]] = {}
        self._refusals: dict[str, tuple[tuple | None, int, float]] = {}
        self._uncertain: set[str] = set()
        self._conn: Connection | None = None
        self._failures = 0
        #: Opens a verified connection; tests put a fake here.
        self.connect: Callable[[], Connection] = lambda: connect(self.server, self.credential, self.timeout, busy_retry=0)

    def stop(self) -> None:
        """Asks :meth:`run` to return after the chunk being sent."""
        self._stop.set()

    def run(self) -> None:
        """Watches until :meth:`stop`."""
        try:
            while not self._stop.is_set():
                ready = self._ready()
                if not ready:
                    self._disconnect()  # nothing to send: no session held against the idle limit
                    self._stop.wait(self.poll)
                    continue
                for path in ready:
                    if self._stop.is_set() or not self._send(path):
                        break
        finally:
            self._disconnect()

    def _send(self, path: str) -> bool:
        name = os.path.basename(path)
        before = _state(path)
        if before is None:
            self._seen.pop(name, None)
            return True
        if not os.access(path, os.R_OK):
            self._skip(path, name, "cannot read it: permission denied", before)
            return True
        if self._conn is None:
            try:
                self._conn = self.connect()
            except TRANSIENT as e:
                if is_permanent(e):
                    raise
                self._lost(e)
                return False
        accepted = [False]
        try:
            outcome = self._conn.upload(
                path,
                name,
                overwrite=self.overwrite or name in self._uncertain,
                resume=True,
                cancel=self._stop.is_set,
                on_ready=lambda: accepted.__setitem__(0, True),
            )
        except (FileNotFoundError, PermissionError):
            self._seen.pop(name, None)
            return True
        except UploadCancelled:
            self._disconnect()
            return False
        except TRANSIENT as e:
            if is_permanent(e):
                raise
            if accepted[0]:
                self._uncertain.add(name)
            self._lost(e)
            return False
        self._failures = 0
        if not outcome.stored:
            if outcome.reason == SOURCE_CHANGED:
                self._seen.pop(name, None)
                return True
            last = self._refusals.get(name)
            count = last[1] + 1 if last and last[0] == before else 1
            wait = self.retry.delay(count)
            self._refusals[name] = (before, count, time.monotonic() + wait)
            self.listener.refused(path, outcome, wait)
            return True
        self._uncertain.discard(name)
        self._refusals.pop(name, None)
        self._seen.pop(name, None)
        after = _state(path)
        if after is None:
            self.listener.stored(path, outcome, None)
            return True
        if after != before:
            # Written to after it settled and was stored: send it again, replacing that copy.
            self._uncertain.add(name)
            return True
        self.listener.stored(path, outcome, self._finish(path, name))
        return True

    def _finish(self, path: str, name: str) -> str | None:
        if self.done is None:
            os.unlink(path)
            return None
        os.makedirs(self.done, exist_ok=True)
        n = 0
        while True:
            target = os.path.join(self.done, name if n == 0 else "%s.%d" % (name, n))
            n += 1
            if os.path.lexists(target):
                continue
            try:
                os.link(path, target)  # fails if the name was taken meanwhile; never replaces
            except FileExistsError:
                continue
            except OSError:
                # Another file system, or no hard links: move it (the name was free just now).
                import shutil

                shutil.move(path, target)
                return target
            os.unlink(path)
            return target

    def _lost(self, failure: BaseException) -> None:
        self._disconnect()
        self._failures += 1
        wait = not_before_penalty_ends(failure, self.backoff.delay(self._failures))
        self.listener.disconnected(failure, wait)
        self._stop.wait(wait)

    def _disconnect(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except OSError:
                pass
            self._conn = None

    def _skip(self, path: str, name: str, why: str, state) -> None:
        last = self._refusals.get(name)
        count = last[1] + 1 if last and last[0] == state else 1
        wait = self.retry.delay(count)
        self._refusals[name] = (state, count, time.monotonic() + wait)
        self.listener.skipped(path, why, wait)

    def _ready(self) -> list[str]:
        now = time.monotonic()
        ready: list[tuple[int, str]] = []
        present: set[str] = set()
        for name in os.listdir(self.folder):
            if name.startswith(".") or name.endswith(".tmp"):
                continue
            path = os.path.join(self.folder, name)
            state = _state(path)
            if state is None:
                continue
            present.add(name)
            refusal = self._refusals.get(name)
            if refusal is not None:
                if refusal[0] is not None and refusal[0] != state:
                    del self._refusals[name]  # changed since: try it afresh
                    refusal = None
                elif now < refusal[2]:
                    continue
            last = self._seen.get(name)
            if last is None or last[0] != state:
                self._seen[name] = (state, now)
                if self.settle > 0:
                    continue
            elif now - last[1] < self.settle:
                continue
            problem = upload_name_problem(name)
            if problem:
                self._skip(path, name, problem, state)
                continue
            ready.append((state[3], path))
        for table in (self._seen, self._refusals):
            for name in [n for n in table if n not in present]:
                del table[name]
        self._uncertain &= present
        return [path for _, path in sorted(ready)]
