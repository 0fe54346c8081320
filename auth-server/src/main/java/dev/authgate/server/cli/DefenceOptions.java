package dev.authgate.server.cli;

import dev.authgate.server.cli.convert.DurationConverter;
import dev.authgate.server.defence.Cidr;
import dev.authgate.server.defence.Defences;
import dev.authgate.server.defence.PenaltyPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** {@code serve}'s brute-force and flood defence options. */
final class DefenceOptions {

  @Option(
      names = "--max-startups",
      paramLabel = "START:RATE:FULL",
      defaultValue = Defences.DEFAULT_MAX_STARTUPS,
      description =
          "Handshakes in progress: from START on, drop new connections with RATE%% chance, rising"
              + " to all at FULL (default: ${DEFAULT-VALUE}).")
  String maxStartups;

  @Option(
      names = "--per-source-max-startups",
      paramLabel = "N",
      defaultValue = "" + Defences.DEFAULT_PER_SOURCE_MAX_STARTUPS,
      description =
          "Handshakes in progress from one source (IPv4 address or IPv6 prefix); more are refused"
              + " as overloaded for that source only (default: ${DEFAULT-VALUE}).")
  int perSourceMaxStartups;

  @Option(
      names = "--penalty-authfail",
      paramLabel = "DURATION",
      defaultValue = "5s",
      converter = DurationConverter.class,
      description = "Penalty per failed authentication (default: ${DEFAULT-VALUE}).")
  Duration penaltyAuthFail;

  @Option(
      names = "--penalty-timeout",
      paramLabel = "DURATION",
      defaultValue = "10s",
      converter = DurationConverter.class,
      description = "Penalty per handshake timeout (default: ${DEFAULT-VALUE}).")
  Duration penaltyTimeout;

  @Option(
      names = "--penalty-malformed",
      paramLabel = "DURATION",
      defaultValue = "2s",
      converter = DurationConverter.class,
      description = "Penalty per malformed handshake (default: ${DEFAULT-VALUE}).")
  Duration penaltyMalformed;

  @Option(
      names = "--penalty-threshold",
      paramLabel = "DURATION",
      defaultValue = "15s",
      converter = DurationConverter.class,
      description = "Refuse a source while its penalty exceeds this (default: ${DEFAULT-VALUE}).")
  Duration penaltyThreshold;

  @Option(
      names = "--penalty-max",
      paramLabel = "DURATION",
      defaultValue = "10m",
      converter = DurationConverter.class,
      description = "Longest penalty a source can build up (default: ${DEFAULT-VALUE}).")
  Duration penaltyMax;

  @Option(
      names = "--penalty-sources",
      paramLabel = "N",
      defaultValue = "65536",
      description =
          "Most sources remembered; the least recently penalised go first"
              + " (default: ${DEFAULT-VALUE}).")
  int penaltySources;

  @Option(
      names = "--penalty-ipv6-prefix",
      paramLabel = "BITS",
      defaultValue = "64",
      description =
          "IPv6 addresses sharing this prefix are one source (default: ${DEFAULT-VALUE}).")
  int ipv6Prefix;

  @Option(
      names = "--exempt",
      paramLabel = "CIDR",
      split = ",",
      description = "Address blocks never penalised, e.g. 10.0.0.0/8 (repeatable).")
  List<String> exempt = new ArrayList<>();

  @Option(
      names = "--proxy-protocol",
      description =
          "Connections from --trusted-proxies must begin with a PROXY protocol v2 header"
              + " (HAProxy's send-proxy-v2); the client it names is the source for penalties,"
              + " caps and the audit log. Others connect directly as before.")
  boolean proxyProtocol;

  @Option(
      names = "--trusted-proxies",
      paramLabel = "CIDR",
      split = ",",
      description =
          "The load balancers allowed to send a PROXY header, e.g. 10.0.0.5,10.0.1.0/28"
              + " (with --proxy-protocol).")
  List<String> trustedProxies = new ArrayList<>();

  Defences defences() {
    if (proxyProtocol && trustedProxies.isEmpty()) {
      throw new IllegalArgumentException(
          "--proxy-protocol needs --trusted-proxies CIDR,... (the load balancers' addresses)");
    }
    if (!proxyProtocol && !trustedProxies.isEmpty()) {
      throw new IllegalArgumentException(
          "--trusted-proxies is only used with --proxy-protocol; add it, or drop"
              + " --trusted-proxies");
    }
    return new Defences(
        new PenaltyPolicy(
            penaltyAuthFail,
            penaltyTimeout,
            penaltyMalformed,
            penaltyThreshold,
            penaltyMax,
            32,
            ipv6Prefix,
            penaltySources,
            exempt.stream().map(Cidr::parse).toList()),
        maxStartups,
        perSourceMaxStartups,
        trustedProxies.stream().map(Cidr::parse).toList());
  }
}
