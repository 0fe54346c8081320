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

  /** Whether a datagram for {@code channel} from {@code from} may be tried (bucket not empty). */
  boolean mayTry(long channel, SocketAddress from, long nowNanos) {
    double[] bucket = bySource.get(key(channel, from));
    return bucket == null || refill(bucket, nowNanos) >= 1;
  }

  /** A datagram for {@code channel} from {@code from} failed to open: its source pays a token. */
  void charge(long channel, SocketAddress from, long nowNanos) {
    double[] bucket =
        bySource.computeIfAbsent(key(channel, from), k -> new double[] {burst, nowNanos});
    refill(bucket, nowNanos);
    bucket[0] = Math.max(0, bucket[0] - 1);
  }

  private double refill(double[] bucket, long nowNanos) {
    bucket[0] = Math.min(burst, bucket[0] + (nowNanos - (long) bucket[1]) / 1e9 * perSecond);
    bucket[1] = nowNanos;
    return bucket[0];
  }

  private static Object key(long channel, SocketAddress from) {
    if (!(from instanceof InetSocketAddress inet) || inet.getAddress() == null) {
      return java.util.List.of(channel, from);
    }
    byte[] address = inet.getAddress().getAddress();
    if (address.length == 16) {
      address = java.util.Arrays.copyOf(address, 8); // a /64: one site's addresses are one source
    }
    return java.util.List.of(channel, java.util.HexFormat.of().formatHex(address));
  }

  /** Sources remembered now. */
  int sources() {
    return bySource.size();
  }
}
