package dev.authgate.server.connection;

import java.time.Clock;

/**
 * What one verified session may ask of the server's shared state and audit log beyond moving data:
 * joining and leaving rooms, listing, opening datagram channels, enrolling, and requests refused (a
 * refused GET is audited like a served one). A token bucket: {@link #BURST} at once, then {@link
 * #PER_SECOND} a second — far above what a machine needs, far below what lets one session write a
 * megabyte of audit a second (2 000 DATAGRAM_OPENs did). A session that runs out is closed, and
 * that is audited once.
 *
 * <p>Owned by the session's thread; not thread-safe.
 */
final class ControlBudget {
  /** Requests at once. */
  static final int BURST = 100;

  /** Requests a second, sustained. */
  static final int PER_SECOND = 20;

  private final Clock clock;

  /** Whether it has refilled to its burst (nothing spent lately): it may be forgotten. */
  synchronized boolean full() {
    long now = clock.millis();
    return tokens + (now - refilledAt) / 1000.0 * PER_SECOND >= BURST;
  }

  private double tokens = BURST;
  private long refilledAt;

  ControlBudget(Clock clock) {
    this.clock = clock;
    this.refilledAt = clock.millis();
  }

  /** Takes one request if there is one left; false (and nothing taken) if not. */
  synchronized boolean tryTake() {
    refill();
    if (tokens < 1) {
      return false;
    }
    tokens -= 1;
    return true;
  }

  private void refill() {
    long now = clock.millis();
    tokens = Math.min(BURST, tokens + (now - refilledAt) / 1000.0 * PER_SECOND);
    refilledAt = now;
  }

  /**
   * Spends one request.
   *
   * @throws ControlFlood if none is left
   */
  synchronized void spend(String what) throws ControlFlood {
    refill();
    if (tokens < 1) {
      throw new ControlFlood(
          "more than " + BURST + " requests at once or " + PER_SECOND + " a second (" + what + ")");
    }
    tokens -= 1;
  }

  /** A session asked for more than its budget. */
  static final class ControlFlood extends java.io.IOException {
    private static final long serialVersionUID = 1L;

    ControlFlood(String message) {
      super(message);
    }
  }
}
