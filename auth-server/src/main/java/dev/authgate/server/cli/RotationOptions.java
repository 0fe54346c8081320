package dev.authgate.server.cli;

import dev.authgate.server.cli.convert.DurationConverter;
import java.time.Duration;
import picocli.CommandLine.Option;

/** {@code serve}'s policy for clients that rotate their own keys. */
final class RotationOptions {

  @Option(
      names = "--rotate-every",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description =
          "Ask every client to rotate its own key this often (30d), unless 'keys set ID"
              + " --rotate-every' says otherwise; a copy of a replaced credential then locks the"
              + " client id (default: no client is asked).")
  Duration rotateEvery;

  @Option(
      names = "--rotate-deadline",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description =
          "Refuse a key, as expired, this long after a server first asked it to rotate (30d): a"
              + " machine that cannot save its new key works until then, and is told when"
              + " (default: never).")
  Duration rotateDeadline;
}
