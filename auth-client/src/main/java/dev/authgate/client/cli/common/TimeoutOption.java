package dev.authgate.client.cli.common;

import java.time.Duration;
import picocli.CommandLine.Option;

/** {@code --timeout} of a command that waits for the server's replies one at a time. */
public final class TimeoutOption {
  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      defaultValue = "10s",
      converter = TimeoutConverter.class,
      description = "Limit for connecting and each server reply (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  /** The limit given, or 10 s. */
  public Duration get() {
    return timeout;
  }
}
