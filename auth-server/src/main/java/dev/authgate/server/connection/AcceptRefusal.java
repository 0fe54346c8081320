package dev.authgate.server.connection;

import dev.authgate.protocol.Reason;
import dev.authgate.protocol.handshake.Refusal;
import dev.authgate.protocol.handshake.ServerHandshake;
import dev.authgate.server.defence.RefusalAudit;
import dev.authgate.server.net.Addresses;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Refuses a connection at accept, off the accept thread: REFUSED (try later) is written, the socket
 * closed without lingering and the refusal audited, on a virtual thread of its own under a short
 * deadline. A peer that never reads or never ACKs costs that virtual thread and one descriptor for
 * the deadline at most, and never delays the next {@code accept}.
 *
 * <p>Thread-safe.
 */
final class AcceptRefusal {
  private final ScheduledExecutorService deadlines;
  private final RefusalAudit refusals;
  private final Duration deadline;

  AcceptRefusal(ScheduledExecutorService deadlines, RefusalAudit refusals, Duration deadline) {
    this.deadlines = deadlines;
    this.refusals = refusals;
    this.deadline = deadline;
  }

  /**
   * Starts refusing {@code socket} and returns at once.
   *
   * @param bySource whether the refusal is the source's own doing (penalty, per-source cap)
   * @param source the source's netblock, for the audit
   */
  void refuse(Socket socket, Reason reason, boolean bySource, String source) {
    refuse(socket, reason, new Refusal(Refusal.Code.forReason(reason)), bySource, source);
  }

  /**
   * Starts refusing {@code socket}, whose source serves a penalty with {@code left} to run (the
   * peer is told how long), and returns at once.
   */
  void refusePenalized(Socket socket, Duration left, String source) {
    refuse(socket, Reason.PENALIZED, Refusal.penalized(left), true, source);
  }

  private void refuse(Socket socket, Reason reason, Refusal told, boolean bySource, String source) {
    Thread.ofVirtual()
        .name("refuse")
        .start(() -> refuseNow(socket, reason, told, bySource, source));
  }

  private void refuseNow(
      Socket socket, Reason reason, Refusal told, boolean bySource, String source) {
    String remote = Addresses.format(socket.getRemoteSocketAddress());
    ScheduledFuture<?> cut =
        deadlines.schedule(() -> closeQuietly(socket), deadline.toNanos(), TimeUnit.NANOSECONDS);
    try {
      socket.getOutputStream().write(ServerHandshake.refusalFrame(told));
      // A client that heard nothing for a moment may have sent AUTH's header already
      // (docs/PROTOCOL.md §3): read what arrived, so the close is a FIN after the refusal, not a
      // reset that could overtake it. Never waits.
      java.io.InputStream in = socket.getInputStream();
      for (int i = 0; i < 4 && in.available() > 0; i++) {
        in.skip(in.available());
      }
    } catch (IOException ignored) {
      // The refused peer is gone already, or the deadline cut it; nothing else to do.
    } finally {
      cut.cancel(false);
      closeQuietly(socket);
    }
    refusals.refused(reason, bySource, source, remote);
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // Closing is the last resort; nothing is left to do if it fails.
    }
  }
}
