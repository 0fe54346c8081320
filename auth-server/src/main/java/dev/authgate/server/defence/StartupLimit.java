package dev.authgate.server.defence;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A cap on connections still in their handshake, like OpenSSH's {@code MaxStartups
 * start:rate:full}: below {@code start} every connection may begin; from {@code start} on, a new
 * one is dropped with probability {@code rate}% rising linearly to 100% at {@code full}. Like
 * OpenSSH's {@code PerSourceMaxStartups}, one source (an IPv4 address or IPv6 prefix, as {@link
 * PenaltyTable#source} names it) may hold at most {@code perSource} of those slots, so one source's
 * flood of stalled handshakes cannot fill the table for everyone else.
 *
 * <p>Thread-safe. The per-source table holds only sources with a handshake in progress, so it is
 * bounded by {@code full}.
 */
public final class StartupLimit {
  /** What {@link #tryEnter} decided. */
  public enum Admission {
    /** A slot was taken; the caller must {@link #leave} with the same source. */
    ADMITTED,
    /** Too many handshakes in progress overall. */
    FULL,
    /** Too many handshakes in progress from this source. */
    SOURCE_FULL
  }

  private final int start;
  private final int rate;
  private final int full;
  private final int perSource;
  private final AtomicInteger inHandshake = new AtomicInteger();
  private final ConcurrentHashMap<String, Integer> bySource = new ConcurrentHashMap<>();

  /**
   * @throws IllegalArgumentException unless 1 &le; start &le; full, 0 &le; rate &le; 100 and
   *     perSource &ge; 1
   */
  public StartupLimit(int start, int rate, int full, int perSource) {
    if (start < 1 || full < start || rate < 0 || rate > 100) {
      throw new IllegalArgumentException(
          "max-startups must be start:rate:full with 1 <= start <= full and rate 0-100");
    }
    if (perSource < 1) {
      throw new IllegalArgumentException("per-source-max-startups must be at least 1");
    }
    this.start = start;
    this.rate = rate;
    this.full = full;
    this.perSource = perSource;
  }

  /**
   * Parses {@code start:rate:full} (or a single number, meaning start = full).
   *
   * @param perSource handshakes one source may have in progress
   */
  public static StartupLimit parse(String text, int perSource) {
    String[] parts = text.split(":");
    try {
      if (parts.length == 1) {
        int n = Integer.parseInt(parts[0]);
        return new StartupLimit(n, 100, n, perSource);
      }
      if (parts.length == 3) {
        return new StartupLimit(
            Integer.parseInt(parts[0]),
            Integer.parseInt(parts[1]),
            Integer.parseInt(parts[2]),
            perSource);
      }
    } catch (NumberFormatException e) {
      // Reported below.
    }
    throw new IllegalArgumentException("'" + text + "' is not start:rate:full, e.g. 10:30:100");
  }

  /** Parses {@code start:rate:full} with no per-source cap below {@code full}. */
  public static StartupLimit parse(String text) {
    return parse(text, Integer.MAX_VALUE);
  }

  /**
   * Takes a handshake slot for {@code source} unless a limit says to drop this connection.
   *
   * @return {@link Admission#ADMITTED} if the connection may begin its handshake; it must then call
   *     {@link #leave(String)} with the same source
   */
  public Admission tryEnter(String source) {
    if (!enterSource(source)) {
      return Admission.SOURCE_FULL;
    }
    if (!tryEnterGlobal()) {
      leaveSource(source);
      return Admission.FULL;
    }
    return Admission.ADMITTED;
  }

  /**
   * Takes a slot for a connection whose source is not known yet (one relayed by a trusted proxy,
   * before its PROXY header is read): only the global cap applies.
   *
   * @return whether the connection may begin; it must then call {@link #leaveGlobal()}
   */
  public boolean tryEnterGlobal() {
    while (true) {
      int current = inHandshake.get();
      if (current >= full || (current >= start && !survivesEarlyDrop(current))) {
        return false;
      }
      if (inHandshake.compareAndSet(current, current + 1)) {
        return true;
      }
    }
  }

  /**
   * Counts a handshake against {@code source} once it is known (after a PROXY header).
   *
   * @return false if that source has as many handshakes in progress as it may; otherwise the caller
   *     must {@link #leaveSource(String)} later
   */
  public boolean tryEnterSource(String source) {
    return enterSource(source);
  }

  /** Gives back a slot taken with {@link #tryEnterGlobal()}. */
  public void leaveGlobal() {
    inHandshake.decrementAndGet();
  }

  private boolean enterSource(String source) {
    boolean[] entered = {false};
    bySource.compute(
        source,
        (s, n) -> {
          int now = n == null ? 0 : n;
          if (now >= perSource) {
            return n;
          }
          entered[0] = true;
          return now + 1;
        });
    return entered[0];
  }

  /** Gives back a source's count taken with {@link #tryEnterSource(String)}. */
  public void leaveSource(String source) {
    bySource.computeIfPresent(source, (s, n) -> n <= 1 ? null : n - 1);
  }

  private boolean survivesEarlyDrop(int current) {
    double dropPercent =
        full == start ? 100 : rate + (100.0 - rate) * (current - start) / (full - start);
    return ThreadLocalRandom.current().nextDouble(100) >= dropPercent;
  }

  /** Gives back the slot of a handshake from {@code source} when it ends, however it ends. */
  public void leave(String source) {
    inHandshake.decrementAndGet();
    leaveSource(source);
  }

  /** The most connections that may be in their handshake at once. */
  public int full() {
    return full;
  }

  /** Connections in their handshake now. */
  public int inHandshake() {
    return inHandshake.get();
  }

  /** Sources with a handshake in progress now. */
  public int sourcesInHandshake() {
    return bySource.size();
  }

  @Override
  public String toString() {
    return start + ":" + rate + ":" + full + " (" + perSource + " per source)";
  }
}
