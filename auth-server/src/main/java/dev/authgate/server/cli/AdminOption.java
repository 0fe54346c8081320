package dev.authgate.server.cli;

import java.net.InetSocketAddress;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** {@code serve --admin [ADDR:]PORT}: where the admin API listens, if anywhere. */
final class AdminOption {
  @Option(
      names = "--admin",
      paramLabel = "[ADDR:]PORT",
      description =
          "Serve the admin API at http://ADDR:PORT/api/ and the console at http://ADDR:PORT/ (off"
              + " unless given; a bare PORT is 127.0.0.1:PORT), reached with tokens from"
              + " 'auth-server admin token create'. Loopback only: reach it from elsewhere"
              + " through an SSH tunnel or a TLS proxy.")
  String admin;

  /** Where to serve the admin API, or null when off; a malformed or non-loopback one is refused. */
  InetSocketAddress address(CommandLine commandLine) {
    if (admin == null) {
      return null;
    }
    InetSocketAddress address =
        MetricsOption.parse(commandLine, "--admin", admin, "127.0.0.1:9351", "127.0.0.1");
    if (!address.getAddress().isLoopbackAddress()) {
      throw new ParameterException(
          commandLine,
          "--admin '"
              + admin
              + "': the admin API listens on loopback only (127.0.0.1 or ::1); reach it from"
              + " elsewhere through a TLS proxy or an SSH tunnel");
    }
    return address;
  }
}
