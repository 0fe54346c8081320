package dev.authgate.client.connect;

import java.net.SocketTimeoutException;

/**
 * The server accepted the connection but sent nothing within the timeout, where an authgate server
 * sends HELLO at once: most likely another service's port, or a server too stalled to greet.
 */
public final class SilentServerException extends SocketTimeoutException {
  private static final long serialVersionUID = 1L;

  SilentServerException(String message) {
    super(message);
  }
}
