package dev.authgate.server.connection;

/**
 * Where verified datagrams are taken and how many (docs/OPERATIONS.md, "Datagrams"). Immutable.
 *
 * @param port the UDP port: {@link #SAME_AS_TCP} for the TCP port's number (the default), 0 for
 *     none
 * @param maxChannels datagram channels open at once
 * @param perSecond datagrams one channel may send per second (bursts of twice that)
 */
public record DatagramLimits(int port, int maxChannels, int perSecond) {
  /** Take datagrams on the UDP port with the TCP port's number. */
  public static final int SAME_AS_TCP = -1;

  /** The default datagrams per second per channel. */
  public static final int DEFAULT_PER_SECOND = 100;

  /** Validates. */
  public DatagramLimits {
    if (port < SAME_AS_TCP || port > 65535) {
      throw new IllegalArgumentException("--udp-port must be 0-65535");
    }
    if (maxChannels < 1 || perSecond < 1) {
      throw new IllegalArgumentException("datagram limits must be at least 1");
    }
  }

  /** No UDP port: datagram channels are not offered. */
  public static DatagramLimits off() {
    return new DatagramLimits(0, 1, 1);
  }

  /** Whether datagrams are taken at all. */
  public boolean enabled() {
    return port != 0;
  }
}
