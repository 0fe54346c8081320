package dev.authgate.server.defence;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A cap on connections still in their handshake, like OpenSSH's {@code MaxStartups
 * start:rate:full}: below {@code start} every connection may begin; from {@code start} on, a new
 * one is dropped with probability {@code rate}% rising linearly to 100% at {@code full}.
 * Thread-safe.
 */
public final class StartupLimit {
  private final int start;
  private final int rate;
  private final int full;
  private final AtomicInteger inHandshake = new AtomicInteger();

  /**
   * @throws IllegalArgumentException unless 1 &le; start &le; full and 0 &le; rate &le; 100
   */
  public StartupLimit(int start, int rate, int full) {
    if (start < 1 || full < start || rate < 0 || rate > 100) {
      throw new IllegalArgumentException(
          "max-startups must be start:rate:full with 1 <= start <= full and rate 0-100");
    }
    this.start = start;
    this.rate = rate;
    this.full = full;
  }

  /** Parses {@code start:rate:full} (or a single number, meaning start = full). */
  public static StartupLimit parse(String text) {
    String[] parts = text.split(":");
    try {
      if (parts.length == 1) {
        int n = Integer.parseInt(parts[0]);
        return new StartupLimit(n, 100, n);
      }
      if (parts.length == 3) {
        return new StartupLimit(
            Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), Integer.parseInt(parts[2]));
      }
    } catch (NumberFormatException e) {
      // Reported below.
    }
    throw new IllegalArgumentException("'" + text + "' is not start:rate:full, e.g. 10:30:100");
  }

  /**
   * Takes a handshake slot unless the limit says to drop this connection.
   *
   * @return true if the connection may begin its handshake; it must then call {@link #leave()}
   */
  public boolean tryEnter() {
    while (true) {
      int current = inHandshake.get();
      if (current >= full) {
        return false;
      }
      if (current >= start && !survivesEarlyDrop(current)) {
        return false;
      }
      if (inHandshake.compareAndSet(current, current + 1)) {
        return true;
      }
    }
  }

  private boolean survivesEarlyDrop(int current) {
    double dropPercent =
        full == start ? 100 : rate + (100.0 - rate) * (current - start) / (full - start);
    return ThreadLocalRandom.current().nextDouble(100) >= dropPercent;
  }

  /** Gives back the slot when a handshake ends, however it ends. */
  public void leave() {
    inHandshake.decrementAndGet();
  }

  /** Connections in their handshake now. */
  public int inHandshake() {
    return inHandshake.get();
  }

  @Override
  public String toString() {
    return start + ":" + rate + ":" + full;
  }
}
