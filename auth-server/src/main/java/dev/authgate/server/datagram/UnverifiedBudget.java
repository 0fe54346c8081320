package dev.authgate.server.datagram;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What each source may spend on datagrams that fail to open (a forged tag, a stale key): a token
 * bucket per source address (the IP; ports are free to pick), charged only by failures, so a forger
 * pays for its own forgeries with its own budget and never with a verified channel's rate. While a
 * source's bucket is empty its datagrams are dropped before any cryptography.
 *
 * <p>Bounded: at most {@link #MAX_SOURCES} sources are remembered, the least recently charged
 * forgotten first (a forgotten source starts full again — it cost the server at most its burst).
 * Used only by the endpoint's receiving thread; not thread-safe.
 */
final class UnverifiedBudget {
  /** Sources remembered at most. */
  static final int MAX_SOURCES = 4096;

  private final double perSecond;
  private final double burst;
  private final Map<Object, double[]> bySource =
      new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Object, double[]> eldest) {
          return size() > MAX_SOURCES;
        }
      };

  /**
   * @param perSecond failures a source may cause per second, sustained
   */
  UnverifiedBudget(double perSecond) {
    this.perSecond = perSecond;
    this.burst = 2 * perSecond;
  }

  /** Whether a datagram from {@code from} may be tried (its source's bucket is not empty). */
  boolean mayTry(SocketAddress from, long nowNanos) {
    double[] bucket = bySource.get(key(from));
    return bucket == null || refill(bucket, nowNanos) >= 1;
  }

  /** A datagram from {@code from} failed to open: its source pays one token. */
  void charge(SocketAddress from, long nowNanos) {
    double[] bucket = bySource.computeIfAbsent(key(from), k -> new double[] {burst, nowNanos});
    refill(bucket, nowNanos);
    bucket[0] = Math.max(0, bucket[0] - 1);
  }

  private double refill(double[] bucket, long nowNanos) {
    bucket[0] = Math.min(burst, bucket[0] + (nowNanos - (long) bucket[1]) / 1e9 * perSecond);
    bucket[1] = nowNanos;
    return bucket[0];
  }

  private static Object key(SocketAddress from) {
    return from instanceof InetSocketAddress inet && inet.getAddress() != null
        ? inet.getAddress()
        : from;
  }

  /** Sources remembered now. */
  int sources() {
    return bySource.size();
  }
}
