package dev.authgate.client.datagram;

import java.io.IOException;

/** The server offers no datagram channel to this session. */
public final class DatagramsUnavailableException extends IOException {
  private static final long serialVersionUID = 1L;

  /** With what the server's answer means. */
  public DatagramsUnavailableException(String message) {
    super(message);
  }
}
