package dev.authgate.client.connect;

/**
 * A {@code HOST:PORT} as given on the command line; IPv6 literals in brackets ({@code [::1]:7350}).
 *
 * @param host the host name or address, without brackets
 * @param port the TCP port
 */
public record ServerAddress(String host, int port) {
  /**
   * Parses {@code HOST:PORT}.
   *
   * @throws IllegalArgumentException with the expected form, if malformed
   */
  public static ServerAddress parse(String text) {
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw invalid(text);
    }
    String host = text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.contains(":")) {
      throw invalid(text);
    }
    int port;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw invalid(text);
    }
    if (port < 1 || port > 65535 || host.isEmpty()) {
      throw invalid(text);
    }
    return new ServerAddress(host, port);
  }

  private static IllegalArgumentException invalid(String text) {
    return new IllegalArgumentException(
        "invalid server address '" + text + "': use HOST:PORT, e.g. 127.0.0.1:7350 or [::1]:7350");
  }

  @Override
  public String toString() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }
}
