package dev.authgate.server.cli;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** {@code serve --metrics ADDR:PORT}: where Prometheus metrics are served, if anywhere. */
final class MetricsOption {

  @Option(
      names = "--metrics",
      paramLabel = "ADDR:PORT",
      description =
          "Serve Prometheus metrics at http://ADDR:PORT/metrics (off unless given; e.g. "
              + "127.0.0.1:9350). Bind it to an address only your monitoring can reach.")
  String metrics;

  /**
   * Where to serve metrics, {@code 127.0.0.1:9350} or {@code [::1]:9350}, or null when off; a
   * malformed one is a usage error.
   */
  InetSocketAddress address(CommandLine commandLine) {
    return metrics == null
        ? null
        : parse(commandLine, "--metrics", metrics, "127.0.0.1:9350", null);
  }

  /**
   * {@code ADDR:PORT} ({@code [v6]:PORT} too) as an address; with {@code defaultHost}, a bare
   * {@code PORT} means that host. A malformed one is a usage error naming {@code option} and {@code
   * example}.
   */
  static InetSocketAddress parse(
      CommandLine commandLine, String option, String text, String example, String defaultHost) {
    int colon = text.lastIndexOf(':');
    String host =
        colon > 0 ? text.substring(0, colon) : colon < 0 && defaultHost != null ? defaultHost : "";
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    try {
      int port = Integer.parseInt(text.substring(colon + 1));
      if (host.isEmpty() || port < 0 || port > 65535) {
        throw new NumberFormatException();
      }
      return new InetSocketAddress(InetAddress.getByName(host), port);
    } catch (NumberFormatException | UnknownHostException e) {
      throw new ParameterException(
          commandLine, option + " '" + text + "': use ADDR:PORT, e.g. " + example);
    }
  }
}
