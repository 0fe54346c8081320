package dev.authgate.client.cli.common;

import picocli.CommandLine.Option;

/** {@code --progress}/{@code --no-progress} of a command that moves files. */
public final class ProgressOption {
  @Option(
      names = "--progress",
      negatable = true,
      description = "Show a progress bar on stderr (default: when stderr is a terminal).")
  Boolean progress;

  /**
   * Whether to show a progress bar: as asked, or when stderr is a terminal (the launcher says so in
   * AUTHGATE_STDERR_TTY, since the JVM cannot tell).
   */
  public boolean show() {
    if (progress != null) {
      return progress;
    }
    return "1".equals(System.getenv("AUTHGATE_STDERR_TTY"));
  }
}
