package dev.authgate.server.cli;

import dev.authgate.server.cli.convert.DurationConverter;
import dev.authgate.server.connection.SessionLimits;
import java.time.Duration;
import picocli.CommandLine.Option;

/** {@code serve}'s caps on verified sessions and the write deadline. */
final class SessionOptions {

  @Option(
      names = "--max-sessions",
      paramLabel = "N",
      defaultValue = "" + SessionLimits.DEFAULT_MAX_SESSIONS,
      description =
          "Verified sessions open at once, all clients together; more are refused as"
              + " session-limit (default: ${DEFAULT-VALUE}).")
  int maxSessions;

  @Option(
      names = "--max-sessions-per-client",
      paramLabel = "N",
      defaultValue = "" + SessionLimits.DEFAULT_MAX_PER_CLIENT,
      description =
          "Verified sessions one client id may have open at once (default: ${DEFAULT-VALUE}).")
  int maxPerClient;

  @Option(
      names = "--write-timeout",
      paramLabel = "DURATION",
      defaultValue = "30s",
      converter = DurationConverter.class,
      description =
          "End a session whose peer leaves one write blocked this long: it stopped reading"
              + " (default: ${DEFAULT-VALUE}).")
  Duration writeTimeout;

  SessionLimits limits() {
    return new SessionLimits(maxSessions, maxPerClient, writeTimeout);
  }
}
