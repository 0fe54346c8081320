package dev.authgate.server.defence;

import dev.authgate.server.net.Addresses;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An address block such as {@code 10.0.0.0/8} or {@code 2001:db8::/32}. Immutable.
 *
 * @param network the block's address bytes (4 or 16)
 * @param prefix the prefix length in bits
 */
public record Cidr(byte[] network, int prefix) {
  /**
   * Parses {@code ADDRESS/PREFIX} or a bare address (a single host).
   *
   * @throws IllegalArgumentException naming the text, if it is not a literal address block
   */
  public static Cidr parse(String text) {
    int slash = text.indexOf('/');
    String host = slash < 0 ? text : text.substring(0, slash);
    if (!host.matches("[0-9a-fA-F:.]+")) {
      throw new IllegalArgumentException("'" + text + "' is not an address block like 10.0.0.0/8");
    }
    try {
      byte[] address = InetAddress.getByName(host).getAddress();
      int prefix = slash < 0 ? address.length * 8 : Integer.parseInt(text.substring(slash + 1));
      if (prefix < 0 || prefix > address.length * 8) {
        throw new IllegalArgumentException("'" + text + "' has a prefix out of range");
      }
      return new Cidr(mask(address, prefix), prefix);
    } catch (UnknownHostException | NumberFormatException e) {
      throw new IllegalArgumentException("'" + text + "' is not an address block like 10.0.0.0/8");
    }
  }

  /** Whether {@code address} is inside this block (IPv4 and IPv6 never match each other). */
  public boolean contains(InetAddress address) {
    byte[] bytes = address.getAddress();
    return bytes.length == network.length && java.util.Arrays.equals(mask(bytes, prefix), network);
  }

  /** {@code bytes} with every bit after the first {@code prefix} cleared. */
  static byte[] mask(byte[] bytes, int prefix) {
    byte[] out = bytes.clone();
    for (int i = 0; i < out.length; i++) {
      int keep = Math.max(0, Math.min(8, prefix - 8 * i));
      out[i] &= (byte) (0xff << (8 - keep));
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Cidr c && c.prefix == prefix && java.util.Arrays.equals(c.network, network);
  }

  @Override
  public int hashCode() {
    return java.util.Arrays.hashCode(network) * 31 + prefix;
  }

  @Override
  public String toString() {
    try {
      return Addresses.host(InetAddress.getByAddress(network)) + "/" + prefix;
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }
}
