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
    if (metrics == null) {
      return null;
    }
    String text = metrics;
    int colon = text.lastIndexOf(':');
    String host = colon > 0 ? text.substring(0, colon) : "";
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
          commandLine, "--metrics '" + text + "': use ADDR:PORT, e.g. 127.0.0.1:9350");
    }
  }
}
