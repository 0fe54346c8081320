package dev.authgate.client.cli.common;

import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * {@code --timeout} of a command that moves or lists files: longer than {@link TimeoutOption}'s,
 * since the server hashes a file before some replies.
 */
public final class TransferTimeoutOption {
  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      defaultValue = "30s",
      converter = TimeoutConverter.class,
      description = "Limit for connecting and each server reply (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  /** The limit given, or 30 s. */
  public Duration get() {
    return timeout;
  }
}
