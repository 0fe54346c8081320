package dev.authgate.protocol;

import java.io.IOException;
import java.util.Objects;

/**
 * A protocol or authentication failure. The {@link #reason()} is what the audit log records; the
 * message is detail for operators and never contains a secret, challenge, proof or key.
 *
 * <p>The claimed client id and key id are carried when the failure happened after the peer named
 * them, so the audit log can say who claimed to connect; they are untrusted peer input.
 */
public class ProtocolException extends IOException {
  private static final long serialVersionUID = 1L;

  private final Reason reason;
  private final transient String claimedClientId;
  private final transient String claimedKeyId;

  /** A failure before any identity was claimed. */
  public ProtocolException(Reason reason, String message) {
    this(reason, message, null, null, null);
  }

  /** A failure caused by another exception. */
  public ProtocolException(Reason reason, String message, Throwable cause) {
    this(reason, message, null, null, cause);
  }

  /**
   * A failure after the peer claimed an identity.
   *
   * @param claimedClientId the id as claimed, possibly invalid; may be null
   * @param claimedKeyId the key id as claimed; may be null
   */
  public ProtocolException(
      Reason reason, String message, String claimedClientId, String claimedKeyId, Throwable cause) {
    super(message, cause);
    this.reason = Objects.requireNonNull(reason, "reason");
    this.claimedClientId = claimedClientId;
    this.claimedKeyId = claimedKeyId;
  }

  /** Why the exchange failed; never null. */
  public Reason reason() {
    return reason;
  }

  /** The client id the peer claimed, unvalidated, or null if none was decoded. */
  public String claimedClientId() {
    return claimedClientId;
  }

  /** The key id the peer claimed, unvalidated, or null if none was decoded. */
  public String claimedKeyId() {
    return claimedKeyId;
  }
}
