package dev.authgate.server.connection;

import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.audit.AuditLog;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the accept loop does when {@code accept} fails while the server is open: out of descriptors
 * (EMFILE, ENFILE), out of buffers (ENOBUFS), a connection aborted before it was taken
 * (ECONNABORTED). Each of these passes, so the loop waits — 5 ms, doubling to 1 s — and tries
 * again. A burst of failures is logged and audited once when it begins ({@code
 * server.accept-failed}) and once when accepting works again ({@code server.accept-resumed}, with
 * the count).
 *
 * <p>Not thread-safe: used by the accept thread only.
 */
final class AcceptBackoff {
  private static final Logger LOG = LoggerFactory.getLogger(AcceptBackoff.class);
  private static final long FIRST_MILLIS = 5;
  private static final long MAX_MILLIS = 1000;

  private final AuditLog audit;
  private final String listen;
  private long failures;
  private long waitMillis = FIRST_MILLIS;

  AcceptBackoff(AuditLog audit, String listen) {
    this.audit = audit;
    this.listen = listen;
  }

  /** Records a failed accept and waits before the next try. */
  void failed(IOException e) throws InterruptedException {
    if (failures++ == 0) {
      LOG.error(
          "accepting connections on {} failed: {}; retrying with backoff until it works again",
          listen,
          e.getMessage());
      record(
          AuditEvent.of(AuditEventType.SERVER_ACCEPT_FAILED)
              .with("listen", listen)
              .with("error", String.valueOf(e.getMessage())));
    }
    Thread.sleep(waitMillis);
    waitMillis = Math.min(MAX_MILLIS, waitMillis * 2);
  }

  /** Records a successful accept, ending a burst of failures if one was going on. */
  void succeeded() {
    if (failures == 0) {
      return;
    }
    LOG.warn("accepting connections on {} again after {} failed tries", listen, failures);
    record(
        AuditEvent.of(AuditEventType.SERVER_ACCEPT_RESUMED)
            .with("listen", listen)
            .with("failures", failures));
    failures = 0;
    waitMillis = FIRST_MILLIS;
  }

  /** Audit writes can block on a slow disk: never on the accept thread. */
  private void record(AuditEvent event) {
    Thread.ofVirtual().name("audit-accept").start(() -> audit.record(event));
  }
}
