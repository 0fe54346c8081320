package dev.authgate.client.download;

import java.io.IOException;

/**
 * The server could not say what is published for this client (LIST_REFUSED): an error on its side,
 * not an empty listing. The session is still usable.
 */
public final class ListRefusedException extends IOException {
  private static final long serialVersionUID = 1L;

  private final String reason;

  /** The server's {@code reason} (e.g. {@code storage-error}) and explanation. */
  public ListRefusedException(String reason, String text) {
    super(text);
    this.reason = reason;
  }

  /** The machine-readable reason the server gave. */
  public String reason() {
    return reason;
  }
}
