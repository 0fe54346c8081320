package dev.authgate.server.connection;

import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One total deadline for a whole handshake, not a timeout per read: a client that drips one byte at
 * a time is cut as surely as a silent one. When it fires, the socket's input is shut down, so the
 * blocked read returns end-of-stream and the connection's thread sees {@link #expired()}.
 *
 * <p>Thread-safe: armed and disarmed by the connection's thread, fired by the scheduler.
 */
final class HandshakeDeadline {
  private final AtomicBoolean expired = new AtomicBoolean();
  private final AtomicBoolean done = new AtomicBoolean();
  private final ScheduledFuture<?> timer;

  private HandshakeDeadline(Socket socket, Duration timeout, ScheduledExecutorService scheduler) {
    this.timer = scheduler.schedule(() -> fire(socket), timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Starts the clock. */
  static HandshakeDeadline arm(
      Socket socket, Duration timeout, ScheduledExecutorService scheduler) {
    return new HandshakeDeadline(socket, timeout, scheduler);
  }

  private void fire(Socket socket) {
    if (!done.compareAndSet(false, true)) {
      return;
    }
    expired.set(true);
    try {
      socket.shutdownInput();
    } catch (IOException e) {
      closeQuietly(socket);
    }
  }

  /**
   * Stops the clock once the handshake is complete.
   *
   * @return true if the handshake beat the deadline, false if the deadline fired first
   */
  boolean disarm() {
    if (done.compareAndSet(false, true)) {
      timer.cancel(false);
      return true;
    }
    return false;
  }

  /** Whether the deadline fired. */
  boolean expired() {
    return expired.get();
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // Closing is the last resort; nothing is left to do if it fails.
    }
  }
}
