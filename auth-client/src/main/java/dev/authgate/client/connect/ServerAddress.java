package dev.authgate.client.connect;

/**
 * A {@code HOST[:PORT]} as given on the command line; IPv6 literals in brackets ({@code
 * [::1]:7350}).
 *
 * @param host the host name or address, without brackets
 * @param port the TCP port
 */
public record ServerAddress(String host, int port) {
  /** The port a server listens on unless told otherwise ({@code auth-server serve --port}). */
  public static final int DEFAULT_PORT = 7350;

  /**
   * Parses {@code HOST[:PORT]}: {@code host}, {@code host:7350}, {@code 10.0.0.1}, {@code [::1]} or
   * {@code [::1]:7350}; without a port, {@link #DEFAULT_PORT}.
   *
   * @throws IllegalArgumentException with the expected form, if malformed
   */
  public static ServerAddress parse(String text) {
    String host;
    String port;
    if (text.startsWith("[")) {
      int close = text.indexOf(']');
      if (close < 0) {
        throw invalid(text);
      }
      host = text.substring(1, close);
      String rest = text.substring(close + 1);
      if (!rest.isEmpty() && !rest.startsWith(":")) {
        throw invalid(text);
      }
      port = rest.isEmpty() ? null : rest.substring(1);
    } else {
      int colon = text.lastIndexOf(':');
      if (colon >= 0 && text.indexOf(':') != colon) {
        throw invalid(text); // a bare IPv6 literal: brackets tell its colons from the port's
      }
      host = colon < 0 ? text : text.substring(0, colon);
      port = colon < 0 ? null : text.substring(colon + 1);
    }
    int number = DEFAULT_PORT;
    if (port != null) {
      try {
        number = Integer.parseInt(port);
      } catch (NumberFormatException e) {
        throw invalid(text);
      }
    }
    if (number < 1
        || number > 65535
        || host.isEmpty()
        || host.contains("[")
        || host.contains("]")) {
      throw invalid(text);
    }
    return new ServerAddress(host, number);
  }

  private static IllegalArgumentException invalid(String text) {
    return new IllegalArgumentException(
        "invalid server address '"
            + text
            + "': use HOST[:PORT], e.g. 127.0.0.1, 127.0.0.1:7350 or [::1]:7350");
  }

  @Override
  public String toString() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }
}
