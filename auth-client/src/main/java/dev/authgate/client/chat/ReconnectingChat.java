package dev.authgate.client.chat;

import dev.authgate.client.connect.ConnectionSource;
import dev.authgate.client.connect.Reconnector;
import dev.authgate.client.connect.VerifiedConnection;
import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import dev.authgate.protocol.session.ChatMessage;
import dev.authgate.protocol.session.ChatMessage.Event;
import dev.authgate.protocol.session.ChatText;
import dev.authgate.protocol.session.SecureChannel;
import dev.authgate.protocol.session.SessionMessage;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A chat for machines that must not give up: it reconnects with backoff after a lost connection or
 * a server restart, rejoins its room, and resends every line the server had not confirmed.
 *
 * <p><b>Confirmation.</b> The server handles a session's requests in order, so a PONG to a PING
 * sent after some lines means the server has taken those lines into the room. Lines are numbered
 * from 1 in the order {@link #say} accepted them; {@link Listener#onSent} reports each once it is
 * confirmed, in order. A line sent but not confirmed when the connection broke is sent again after
 * reconnecting, so other members may see it twice (at least once, never lost).
 *
 * <p><b>Buffer.</b> At most {@code buffer} lines wait for confirmation. When that many wait (the
 * server is unreachable for long), {@link #say} blocks until the server confirms some: nothing is
 * dropped; a producer writing into a pipe to the CLI is held up by the pipe instead.
 *
 * <p><b>Ending.</b> {@link #finish()} says no more lines will come: {@link #run()} returns once the
 * buffer is confirmed, after leaving the room. A refusal that waiting cannot fix (a revoked or
 * wrong key, a server that cannot prove itself, chat or the room not permitted) ends {@link #run()}
 * with that exception at once, without retrying.
 *
 * <p>Thread-safe. {@link #run()} is the connection's only writer of chat requests (the reader
 * thread answers the server's PINGs); {@link #say} may be called from any thread.
 */
public final class ReconnectingChat implements Closeable {
  /** Hears the chat. Called on the chat's threads; implementations must be quick. */
  public interface Listener {
    /**
     * An event from the server, in the order sent (after a reconnect: the room's history again).
     */
    void onEvent(Event event);

    /** Line {@code line} ({@code text}) reached the server. */
    void onSent(long line, String text);

    /** The connection was lost ({@code why}); lines keep being buffered while reconnecting. */
    void onDisconnected(String why, Exception failure);

    /** Connected and rejoined again, after {@code attempts} connection attempts. */
    void onReconnected(int attempts);
  }

  private record Line(long number, String text) {}

  private final ConnectionSource client;
  private final String room;
  private final Duration keepalive;
  private final int capacity;
  private final Listener listener;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final ArrayDeque<Line> unconfirmed = new ArrayDeque<>();
  private long nextNumber = 1;
  private boolean finishing;
  private boolean closed;

  /** Use {@code AuthgateClient.reconnectingChat}. */
  public ReconnectingChat(
      ConnectionSource client, String room, Duration keepalive, int buffer, Listener listener) {
    if (buffer < 1) {
      throw new IllegalArgumentException("the buffer must hold at least one line");
    }
    this.client = client;
    this.room = room;
    this.keepalive = keepalive;
    this.capacity = buffer;
    this.listener = listener;
  }

  /**
   * Queues {@code text} to be said in the room; blocks while the buffer is full.
   *
   * @return the line's number, as {@link Listener#onSent} will report it
   * @throws IllegalArgumentException if the server would refuse {@code text} ({@link
   *     ChatText#problem}); nothing is queued
   * @throws IllegalStateException after {@link #finish()} or {@link #close()}
   */
  public long say(String text) throws InterruptedException {
    String problem = ChatText.problem(text);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    lock.lock();
    try {
      while (unconfirmed.size() >= capacity && !closed) {
        changed.await();
      }
      if (closed || finishing) {
        throw new IllegalStateException("the chat is ending; no more lines");
      }
      Line line = new Line(nextNumber++, text);
      unconfirmed.addLast(line);
      changed.signalAll();
      return line.number();
    } finally {
      lock.unlock();
    }
  }

  /** How many lines wait for the server to confirm them. */
  public int pending() {
    lock.lock();
    try {
      return unconfirmed.size();
    } finally {
      lock.unlock();
    }
  }

  /** No more lines: {@link #run()} returns once every buffered line is confirmed. */
  public void finish() {
    lock.lock();
    try {
      finishing = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Stops at once: {@link #run()} returns; unconfirmed lines are abandoned. */
  @Override
  public void close() {
    lock.lock();
    try {
      closed = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Connects, joins, sends, and keeps doing so across reconnects until {@link #finish()} (and every
   * line is confirmed) or {@link #close()}.
   *
   * @throws IOException a failure that waiting cannot fix; {@link Reconnector#isPermanent} is true
   *     for it
   * @throws InterruptedException if interrupted
   */
  public void run() throws IOException, InterruptedException {
    Reconnector reconnector = client.reconnector();
    boolean connectedBefore = false;
    while (true) {
      int[] attempts = {1};
      VerifiedConnection connection;
      try {
        connection =
            reconnector.connect(
                (attempt, failure, delay) -> {
                  attempts[0] = attempt + 1;
                  if (isClosed()) {
                    Thread.currentThread().interrupt();
                  }
                });
      } catch (InterruptedException e) {
        if (isClosed()) {
          Thread.interrupted();
          return;
        }
        throw e;
      }
      if (connectedBefore) {
        listener.onReconnected(attempts[0]);
      }
      connectedBefore = true;
      Connected session = new Connected(connection);
      try {
        if (session.drive()) {
          return;
        }
      } finally {
        session.release();
      }
      if (session.permanent != null) {
        throw session.permanent;
      }
      if (isClosed()) {
        return;
      }
      listener.onDisconnected(session.why, session.failure);
    }
  }

  private boolean isClosed() {
    lock.lock();
    try {
      return closed;
    } finally {
      lock.unlock();
    }
  }

  /** One verified connection's part of the chat. */
  private final class Connected {
    private final VerifiedConnection connection;
    private final SecureChannel channel;
    private final Thread reader;
    // Guarded by lock:
    private boolean joined;
    private boolean ended;
    private long confirmedThrough;
    private String why;
    private Exception failure;
    private IOException permanent;
    // When the reader last began waiting for a message; whether drive() cut the connection for
    // the silence since. No timeout on each read (a timer per message), as in ChatClient.
    private volatile long lastHeard = System.nanoTime();
    private volatile boolean silenced;

    Connected(VerifiedConnection connection) throws IOException {
      this.connection = connection;
      this.channel = connection.channel();
      connection.clearReadTimeout();
      this.reader = Thread.ofVirtual().name("chat-reader").unstarted(this::read);
    }

    /** Joins and sends until done (true) or the connection ended (false; {@link #why} says how). */
    boolean drive() throws InterruptedException {
      reader.start();
      long sentThrough = 0;
      try {
        channel.send(new ChatMessage.Join(room));
        long lastWrite = System.nanoTime();
        lock.lock();
        try {
          while (true) {
            if (ended || closed) {
              return !ended && closed;
            }
            if (joined) {
              if (finishing && unconfirmed.isEmpty()) {
                lock.unlock();
                try {
                  channel.send(new ChatMessage.Leave());
                  connection.close();
                } finally {
                  lock.lock();
                }
                return true;
              }
              Line next = firstAfter(sentThrough);
              if (next != null) {
                long through = sentThrough;
                lock.unlock();
                try {
                  // Send what is buffered now, then one PING whose token is the last line's number:
                  // its PONG confirms every line up to there.
                  for (Line line : snapshotAfter(through)) {
                    channel.send(ChatMessage.Say.of(line.text()));
                    through = line.number();
                  }
                  channel.send(new SessionMessage.Ping(through));
                  lastWrite = System.nanoTime();
                } finally {
                  lock.lock();
                }
                sentThrough = through;
                continue;
              }
            }
            long silenceLeft =
                keepalive.toNanos() * ChatClient.MISSED_KEEPALIVES
                    - (System.nanoTime() - lastHeard);
            if (silenceLeft <= 0 && !silenced) {
              // Three keepalives unanswered: cut it; the reader ends the session saying why.
              silenced = true;
              lock.unlock();
              try {
                release(); // the reader's receive fails at once; it ends the session
              } finally {
                lock.lock();
              }
              continue;
            }
            long waited = System.nanoTime() - lastWrite;
            long left = keepalive.toNanos() - waited;
            if (left <= 0) {
              long token = sentThrough;
              lock.unlock();
              try {
                channel.send(new SessionMessage.Ping(token));
                lastWrite = System.nanoTime();
              } finally {
                lock.lock();
              }
              continue;
            }
            changed.await(silenced ? left : Math.min(left, silenceLeft), TimeUnit.NANOSECONDS);
          }
        } finally {
          lock.unlock();
        }
      } catch (IOException e) {
        lock.lock();
        try {
          if (!ended) {
            // The reader usually learns why (the server's CLOSE, a reset) at about the same time.
            changed.await(2, TimeUnit.SECONDS);
          }
          if (!ended) {
            end("the connection failed: " + e.getMessage(), e);
          }
        } finally {
          lock.unlock();
        }
        return false;
      }
    }

    private Line firstAfter(long number) {
      for (Line line : unconfirmed) {
        if (line.number() > number) {
          return line;
        }
      }
      return null;
    }

    private java.util.List<Line> snapshotAfter(long number) {
      lock.lock();
      try {
        java.util.List<Line> lines = new java.util.ArrayList<>();
        for (Line line : unconfirmed) {
          if (line.number() > number) {
            lines.add(line);
          }
        }
        return lines;
      } finally {
        lock.unlock();
      }
    }

    private void read() {
      try {
        while (true) {
          lastHeard = System.nanoTime();
          SessionMessage message = channel.receive();
          switch (message) {
            case Event event -> onEvent(event);
            case SessionMessage.Pong pong -> confirm(pong.token());
            case SessionMessage.Ping ping -> channel.send(new SessionMessage.Pong(ping.token()));
            case SessionMessage.Close close -> {
              onClose(close);
              return;
            }
            default ->
                throw new ProtocolException(
                    Reason.MALFORMED, "the server sent " + message + " in a chat");
          }
        }
      } catch (IOException e) {
        lock.lock();
        try {
          if (!ended) {
            IOException why = silenced ? ChatClient.silence(keepalive) : e;
            end(describe(why), why);
          }
        } finally {
          lock.unlock();
        }
      }
    }

    private void onEvent(Event event) {
      lock.lock();
      try {
        if (!joined) {
          if (event.kind() == Event.Kind.JOINED
              && event.room().equals(room)
              && event.from().equals(client.clientId())) {
            joined = true;
            changed.signalAll();
          } else if (event.kind() == Event.Kind.ERROR) {
            // The first ERROR before our JOINED answers the JOIN: the room is refused.
            permanent =
                new ProtocolException(
                    Reason.NOT_PERMITTED,
                    "the server refused room '" + room + "': " + event.text());
            listener.onEvent(event);
            end(event.text(), permanent);
            return;
          }
        }
      } finally {
        lock.unlock();
      }
      listener.onEvent(event);
    }

    private void confirm(long token) {
      lock.lock();
      try {
        if (token <= confirmedThrough) {
          return;
        }
        confirmedThrough = token;
        for (Iterator<Line> it = unconfirmed.iterator(); it.hasNext(); ) {
          Line line = it.next();
          if (line.number() > token) {
            break;
          }
          it.remove();
          listener.onSent(line.number(), line.text());
        }
        changed.signalAll();
      } finally {
        lock.unlock();
      }
    }

    private void onClose(SessionMessage.Close close) {
      lock.lock();
      try {
        if (close.code() == SessionMessage.Close.REVOKED) {
          permanent =
              new ProtocolException(
                  Reason.REVOKED_KEY, "the server revoked this client's key: " + close.text());
        } else if (close.code() == SessionMessage.Close.NOT_PERMITTED) {
          permanent = new ProtocolException(Reason.NOT_PERMITTED, close.text());
        }
        end("the server ended the session: " + close.text(), permanent);
      } finally {
        lock.unlock();
      }
    }

    /** Called with the lock held. */
    private void end(String why, Exception failure) {
      if (ended) {
        return;
      }
      ended = true;
      this.why = why;
      this.failure = failure;
      changed.signalAll();
    }

    private String describe(IOException e) {
      if (e instanceof java.net.SocketTimeoutException) {
        return "the server went silent: no answer to "
            + ChatClient.MISSED_KEEPALIVES
            + " keepalives";
      }
      return "the connection was lost: " + e.getMessage();
    }

    void release() {
      try {
        connection.release();
      } catch (IOException ignored) {
        // Already closed.
      }
      try {
        reader.join(2000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
