package dev.authgate.server.cli;

import dev.authgate.server.connection.DatagramLimits;
import picocli.CommandLine.Option;

/** {@code serve}'s verified datagrams: their UDP port and limits. */
final class DatagramOptions {
  @Option(
      names = "--udp-port",
      paramLabel = "N",
      defaultValue = "-1",
      description =
          "UDP port for verified datagrams (chat and telemetry bound to a verified session);"
              + " 0 turns them off (default: the same number as --port).")
  int udpPort;

  @Option(
      names = "--max-datagram-channels",
      paramLabel = "N",
      defaultValue = "2000",
      description = "Datagram channels open at once (default: ${DEFAULT-VALUE}).")
  int maxDatagramChannels;

  @Option(
      names = "--datagram-rate",
      paramLabel = "N",
      defaultValue = "" + DatagramLimits.DEFAULT_PER_SECOND,
      description =
          "Datagrams one channel may send a second, in bursts of twice that; more are dropped"
              + " (default: ${DEFAULT-VALUE}).")
  int datagramRate;

  DatagramLimits limits() {
    return new DatagramLimits(udpPort, maxDatagramChannels, datagramRate);
  }
}
