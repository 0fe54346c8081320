package dev.authgate.server.connection;

import java.time.Duration;

/**
 * Caps on verified sessions and the deadline on every write a peer can stall. Immutable.
 *
 * <p>Each verified session holds one descriptor, each handshake in progress another, so {@code
 * maxSessions} plus the full {@code --max-startups} plus a margin for the JVM's own files is what
 * the process's descriptor limit must allow (docs/OPERATIONS.md, "Sizing").
 *
 * @param maxSessions verified sessions the server keeps open at once, all clients together
 * @param maxPerClient verified sessions one client id may have open at once
 * @param writeTimeout how long one write to a peer may stay blocked before the session is ended as
 *     {@code write-timeout}
 */
public record SessionLimits(int maxSessions, int maxPerClient, Duration writeTimeout) {
  /** The default total cap. */
  public static final int DEFAULT_MAX_SESSIONS = 2000;

  /** The default cap per client id. */
  public static final int DEFAULT_MAX_PER_CLIENT = 32;

  /** The default write deadline. */
  public static final Duration DEFAULT_WRITE_TIMEOUT = Duration.ofSeconds(30);

  /** Validates the limits. */
  public SessionLimits {
    if (maxSessions < 1 || maxPerClient < 1) {
      throw new IllegalArgumentException(
          "max-sessions and max-sessions-per-client must be at least 1");
    }
    if (writeTimeout == null || writeTimeout.isNegative() || writeTimeout.isZero()) {
      throw new IllegalArgumentException("write timeout must be positive");
    }
  }

  /** 2 000 sessions, 32 per client, a 30 s write deadline. */
  public static SessionLimits defaults() {
    return new SessionLimits(DEFAULT_MAX_SESSIONS, DEFAULT_MAX_PER_CLIENT, DEFAULT_WRITE_TIMEOUT);
  }

  /** A copy with another write deadline. */
  public SessionLimits withWriteTimeout(Duration timeout) {
    return new SessionLimits(maxSessions, maxPerClient, timeout);
  }
}
