package dev.authgate.protocol;

/**
 * Process exit codes shared by {@code auth-server} and {@code auth-client}; scripts rely on them.
 */
public enum ExitCode {
  /** Success. */
  OK(0),
  /** Any failure not covered below: bad files, I/O errors, port in use. */
  FAILURE(1),
  /** The command line could not be parsed. */
  USAGE(2),
  /** Authentication refused, in either direction. */
  AUTH_REFUSED(3),
  /** Cannot connect, or the connection was lost. */
  CONNECTION(4),
  /**
   * A transfer was refused or failed verification, or the session is not permitted for the client.
   */
  TRANSFER(5),
  /** Stopped by Ctrl-C (SIGINT), as a shell reports a process a signal ended: 128 + 2. */
  INTERRUPTED(130);

  private final int code;

  ExitCode(int code) {
    this.code = code;
  }

  /** The numeric process exit status. */
  public int code() {
    return code;
  }
}
