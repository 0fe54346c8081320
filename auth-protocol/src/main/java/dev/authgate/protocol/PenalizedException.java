package dev.authgate.protocol;

import java.time.Duration;

/**
 * The server refused the connection because this address is serving a penalty for earlier failed
 * attempts ({@link Reason#PENALIZED}), and said how long it has left.
 */
public final class PenalizedException extends ProtocolException {
  private static final long serialVersionUID = 1L;

  private final Duration retryAfter;

  /** A penalty with {@code retryAfter} still to run. */
  public PenalizedException(Duration retryAfter) {
    super(
        Reason.PENALIZED,
        "too many failed attempts from this address: the server refuses it for another "
            + retryAfter.toSeconds()
            + " s");
    this.retryAfter = retryAfter;
  }

  /** How long the server said the penalty has left. */
  public Duration retryAfter() {
    return retryAfter;
  }
}
