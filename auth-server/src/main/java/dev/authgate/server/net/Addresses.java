package dev.authgate.server.net;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * Formats addresses as people write them: {@code 127.0.0.1:7350}, and IPv6 in RFC 5952's compact
 * form in brackets, {@code [::1]:7350} rather than Java's {@code [0:0:0:0:0:0:0:1]:7350}.
 * Stateless.
 */
public final class Addresses {
  private Addresses() {}

  /** {@code 127.0.0.1:7350} or {@code [::1]:7350}. */
  public static String format(SocketAddress address) {
    if (!(address instanceof InetSocketAddress inet) || inet.getAddress() == null) {
      return String.valueOf(address);
    }
    String host = host(inet.getAddress());
    if (inet.getAddress() instanceof Inet6Address) {
      host = "[" + host + "]";
    }
    return host + ":" + inet.getPort();
  }

  /** {@code 192.0.2.7}, or an IPv6 address in RFC 5952 form ({@code 2001:db8::1}, {@code ::1}). */
  public static String host(InetAddress address) {
    String text = address.getHostAddress();
    return address instanceof Inet6Address ? compactIpv6(text) : text;
  }

  /**
   * RFC 5952 section 4 for an IPv6 literal as Java prints it (eight groups, no leading zeros, maybe
   * a {@code %scope}): lower case, the longest run of two or more zero groups (the first, if tied)
   * becomes {@code ::}. Anything that is not such a literal is returned as it is.
   */
  public static String compactIpv6(String literal) {
    int percent = literal.indexOf('%');
    String scope = percent < 0 ? "" : literal.substring(percent);
    String[] groups = (percent < 0 ? literal : literal.substring(0, percent)).split(":", -1);
    if (groups.length != 8) {
      return literal;
    }
    int[] values = new int[8];
    for (int i = 0; i < 8; i++) {
      try {
        values[i] = Integer.parseInt(groups[i], 16);
      } catch (NumberFormatException e) {
        return literal;
      }
    }
    int bestStart = -1;
    int bestLength = 1;
    for (int i = 0; i < 8; ) {
      if (values[i] != 0) {
        i++;
        continue;
      }
      int start = i;
      while (i < 8 && values[i] == 0) {
        i++;
      }
      if (i - start > bestLength) {
        bestStart = start;
        bestLength = i - start;
      }
    }
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        out.append("::");
        i += bestLength - 1;
        continue;
      }
      if (out.length() > 0 && out.charAt(out.length() - 1) != ':') {
        out.append(':');
      }
      out.append(Integer.toHexString(values[i]));
    }
    return out.append(scope).toString();
  }
}
