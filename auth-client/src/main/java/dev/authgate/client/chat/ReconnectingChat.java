package dev.authgate.client.chat;

import dev.authgate.client.connect.ConnectionSource;
import dev.authgate.client.connect.Reconnector;
import dev.authgate.client.connect.VerifiedConnection;
import dev.authgate.protocol.session.ChatMessage.Event;
import dev.authgate.protocol.session.ChatText;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
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

    /**
     * Connection attempt {@code attempt} failed ({@code failure}, one that waiting may fix); the
     * next one comes after {@code delay}. Said for the first connection too, so a chat that cannot
     * get in is not silent.
     */
    default void onRetrying(int attempt, Exception failure, Duration delay) {}
  }

  record Line(long number, String text) {}

  final ConnectionSource client;
  final String room;
  final Duration keepalive;
  private final int capacity;
  final Listener listener;

  final ReentrantLock lock = new ReentrantLock();
  final Condition changed = lock.newCondition();
  final ArrayDeque<Line> unconfirmed = new ArrayDeque<>();
  private long nextNumber = 1;
  boolean finishing;

  /** The thread in {@link #run()} while it waits between connection attempts, else null. */
  private Thread connecting;

  /** Whether {@link #finish()} or {@link #close()} woke {@link #connecting}. */
  private boolean wokeConnecting;

  boolean closed;

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
      if (unconfirmed.isEmpty()) {
        wakeConnecting(); // nothing to send: no reason to wait for the server any longer
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Under the lock: interrupts the wait between connection attempts, if one is under way. */
  private void wakeConnecting() {
    if (connecting != null && !wokeConnecting) {
      wokeConnecting = true;
      connecting.interrupt();
    }
  }

  /** Stops at once: {@link #run()} returns; unconfirmed lines are abandoned. */
  @Override
  public void close() {
    lock.lock();
    try {
      closed = true;
      wakeConnecting();
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
      connectingFrom(Thread.currentThread());
      try {
        connection =
            reconnector.connect(
                (attempt, failure, delay) -> {
                  attempts[0] = attempt + 1;
                  listener.onRetrying(attempt, failure, delay);
                  if (isClosed() || finishedWithNothingToSend()) {
                    Thread.currentThread().interrupt();
                  }
                });
      } catch (InterruptedException e) {
        if (isClosed() || finishedWithNothingToSend()) {
          Thread.interrupted();
          return;
        }
        throw e;
      } finally {
        connectingFrom(null);
      }
      if (connectedBefore) {
        listener.onReconnected(attempts[0]);
      }
      connectedBefore = true;
      ChatConnection session = new ChatConnection(this, connection);
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

  /**
   * Marks {@code thread} as the one connecting, which a wake-up may interrupt; null when done, and
   * then clears a wake-up of ours that came after the connection was made.
   */
  private void connectingFrom(Thread thread) {
    lock.lock();
    try {
      connecting = thread;
      if (thread != null) {
        wokeConnecting = false;
      } else if (wokeConnecting) {
        Thread.interrupted();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Input ended and every line was confirmed (or none was said): nothing to connect for. */
  private boolean finishedWithNothingToSend() {
    lock.lock();
    try {
      return finishing && unconfirmed.isEmpty();
    } finally {
      lock.unlock();
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
}
