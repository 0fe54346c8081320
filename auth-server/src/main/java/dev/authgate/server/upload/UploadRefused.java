package dev.authgate.server.upload;

/**
 * The server will not store a file. {@link #reason()} is a stable token for the client and the
 * audit log ({@code bad-name}, {@code exists}, {@code too-large}, {@code quota}, {@code busy},
 * {@code size-mismatch}, {@code hash-mismatch}, {@code source-changed}, {@code storage-error}); the
 * message explains it to a person.
 */
public final class UploadRefused extends Exception {
  private static final long serialVersionUID = 1L;

  private final String reason;

  /** A refusal for {@code reason}, explained by {@code message}. */
  public UploadRefused(String reason, String message) {
    super(message);
    this.reason = reason;
  }

  /** The stable reason token. */
  public String reason() {
    return reason;
  }
}
