package dev.authgate.server.cluster;

import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.audit.AuditLog;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the shared state is reachable, reported on transitions only: {@code cluster.degraded}
 * when it is lost, {@code cluster.connected} when it is reached and re-synced.
 */
final class ClusterHealth {
  private static final Logger LOG = LoggerFactory.getLogger(RedisCluster.class);

  private final RedisTarget target;
  private final String instance;
  private final AuditLog audit;
  private final Clock clock;
  private volatile boolean connected;
  private volatile boolean reported;
  private volatile long downSinceMillis;

  ClusterHealth(RedisTarget target, String instance, AuditLog audit, Clock clock) {
    this.target = target;
    this.instance = instance;
    this.audit = audit;
    this.clock = clock;
    this.downSinceMillis = clock.millis();
  }

  /** Whether Redis is reachable and re-synced now. */
  boolean connected() {
    return connected;
  }

  /** Redis was lost (or never reached): said once per transition. */
  void degraded(Exception e) {
    boolean wasConnected = connected;
    connected = false;
    if (wasConnected || !reported) {
      reported = true;
      downSinceMillis = clock.millis();
      String why = describe(e);
      LOG.warn(
          "lost the shared state at {}: {}; serving from this server's own tables until it"
              + " returns",
          target,
          why);
      audit.record(
          AuditEvent.of(AuditEventType.CLUSTER_DEGRADED)
              .with("redis", target.toString())
              .with("server_id", instance)
              .with("error", why));
    }
  }

  /** Every part re-synced: connected (again), said if it was not. */
  void resynced() {
    if (!connected) {
      connected = true;
      long down = clock.millis() - downSinceMillis;
      boolean again = reported;
      reported = true;
      LOG.info("shared state at {} {}", target, again ? "reachable again, re-synced" : "joined");
      audit.record(
          AuditEvent.of(AuditEventType.CLUSTER_CONNECTED)
              .with("redis", target.toString())
              .with("server_id", instance)
              .with("down_ms", again ? down : null));
    }
  }

  /** Closing: no longer connected, without a report. Returns whether it was. */
  boolean close() {
    boolean was = connected;
    connected = false;
    return was;
  }

  private static String describe(Exception e) {
    Throwable cause = e;
    while (cause.getCause() != null && cause.getCause() != cause) {
      cause = cause.getCause();
    }
    String message = String.valueOf(cause.getMessage());
    return message.length() > 200 ? message.substring(0, 200) : message;
  }
}
