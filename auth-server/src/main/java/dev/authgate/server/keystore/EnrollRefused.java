package dev.authgate.server.keystore;

/** Why an enrollment was refused: a stable reason and a sentence for the machine. */
public final class EnrollRefused extends Exception {
  private static final long serialVersionUID = 1L;
  private final String reason;

  public EnrollRefused(String reason, String message) {
    super(message);
    this.reason = reason;
  }

  /** The stable reason, e.g. {@code token-used}. */
  public String reason() {
    return reason;
  }
}
