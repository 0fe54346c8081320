package dev.authgate.server.connection;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The server's background threads, one executor per kind of work, so that slow work of one kind (a
 * sweep over a slow disk, an audit flush) can never delay a deadline of another.
 *
 * @param deadlines handshake deadlines, the write watchdog, slow-consumer cut-offs, refusal
 *     deadlines: tasks that only flip state or close sockets, and must fire on time
 * @param auditFlush writes the aggregated counts of refusals at accept
 * @param uploadSweep removes abandoned partial uploads
 */
record ServerExecutors(
    ScheduledExecutorService deadlines,
    ScheduledExecutorService auditFlush,
    ScheduledExecutorService uploadSweep) {

  ServerExecutors() {
    this(daemon("authgate-deadlines"), daemon("authgate-audit-flush"), daemon("authgate-sweep"));
  }

  private static ScheduledExecutorService daemon(String name) {
    return Executors.newSingleThreadScheduledExecutor(
        r -> {
          Thread t = new Thread(r, name);
          t.setDaemon(true);
          return t;
        });
  }

  /** Stops all three. */
  void shutdownNow() {
    deadlines.shutdownNow();
    auditFlush.shutdownNow();
    uploadSweep.shutdownNow();
  }
}
