package dev.authgate.server.connection;

import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/** Formats socket addresses as {@code ip:port}, with IPv6 in brackets. Stateless. */
public final class Addresses {
  private Addresses() {}

  /** {@code 127.0.0.1:7350} or {@code [::1]:7350}. */
  public static String format(SocketAddress address) {
    if (!(address instanceof InetSocketAddress inet) || inet.getAddress() == null) {
      return String.valueOf(address);
    }
    String host = inet.getAddress().getHostAddress();
    if (inet.getAddress() instanceof Inet6Address) {
      host = "[" + host + "]";
    }
    return host + ":" + inet.getPort();
  }
}
