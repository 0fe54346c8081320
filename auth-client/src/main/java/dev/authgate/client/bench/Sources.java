package dev.authgate.client.bench;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/** The local addresses a load test connects from: {@code ADDR} or an IPv4 range {@code A-B}. */
final class Sources {
  /** More than any load test needs, few enough to hold. */
  static final int MAX = 65_536;

  private Sources() {}

  /**
   * Expands {@code specs}: each is a literal address, or two IPv4 addresses joined by {@code -}
   * naming every address from the first to the second.
   *
   * @throws IllegalArgumentException naming the spec, for a name, a malformed or reversed range, or
   *     more than {@link #MAX} addresses
   */
  static List<InetAddress> parse(List<String> specs) {
    List<InetAddress> addresses = new ArrayList<>();
    for (String spec : specs) {
      int dash = spec.indexOf('-');
      if (dash < 0) {
        addresses.add(literal(spec, spec));
      } else {
        long first = ipv4(literal(spec.substring(0, dash), spec), spec);
        long last = ipv4(literal(spec.substring(dash + 1), spec), spec);
        if (last < first) {
          throw new IllegalArgumentException(
              "--sources " + spec + ": the range ends before it starts");
        }
        if (addresses.size() + (last - first + 1) > MAX) {
          throw new IllegalArgumentException("--sources: more than " + MAX + " addresses");
        }
        for (long a = first; a <= last; a++) {
          addresses.add(fromInt(a));
        }
      }
      if (addresses.size() > MAX) {
        throw new IllegalArgumentException("--sources: more than " + MAX + " addresses");
      }
    }
    return List.copyOf(addresses);
  }

  private static InetAddress literal(String text, String spec) {
    String t = text.strip();
    // Only literals: a name would be looked up, and a load test should say exactly where it binds.
    if (t.isEmpty()
        || !(t.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == '.' || c == ':'))) {
      throw new IllegalArgumentException("--sources " + spec + ": not an IP address");
    }
    try {
      return InetAddress.getByName(t);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("--sources " + spec + ": not an IP address");
    }
  }

  private static long ipv4(InetAddress address, String spec) {
    if (!(address instanceof Inet4Address)) {
      throw new IllegalArgumentException("--sources " + spec + ": ranges are IPv4 only");
    }
    byte[] b = address.getAddress();
    return ((b[0] & 0xffL) << 24) | ((b[1] & 0xffL) << 16) | ((b[2] & 0xffL) << 8) | (b[3] & 0xffL);
  }

  private static InetAddress fromInt(long a) {
    try {
      return InetAddress.getByAddress(
          new byte[] {(byte) (a >>> 24), (byte) (a >>> 16), (byte) (a >>> 8), (byte) a});
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }
}
