package dev.authgate.server.admin;

import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.audit.AuditLog;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The audit chain's link that remembers when each client was last verified by this server (the
 * admin API's {@code last_seen}). Bounded: it holds at most {@link #MAX_CLIENTS} ids (every entry
 * is a client that proved a key, so only as many as the keystore has). Thread-safe.
 */
public final class LastSeen implements AuditLog {
  /** The most clients remembered; past it, new ids are not (a keystore that large is unusual). */
  static final int MAX_CLIENTS = 1_000_000;

  private final AuditLog next;
  private final Clock clock;
  private final Map<String, Instant> seen = new ConcurrentHashMap<>();

  /** Records to {@code next}, remembering each accepted client's time by {@code clock}. */
  public LastSeen(AuditLog next, Clock clock) {
    this.next = next;
    this.clock = clock;
  }

  @Override
  public void record(AuditEvent event) {
    next.record(event);
    if (event.type() == AuditEventType.AUTH_ACCEPTED
        && event.fields().get("client_id") instanceof String client
        && (seen.size() < MAX_CLIENTS || seen.containsKey(client))) {
      seen.put(client, clock.instant().truncatedTo(ChronoUnit.MILLIS));
    }
  }

  /** When {@code clientId} was last verified here, or null if not since the server started. */
  public Instant of(String clientId) {
    return seen.get(clientId);
  }
}
