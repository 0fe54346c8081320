package dev.authgate.protocol.io;

import java.net.SocketTimeoutException;

/** A write failed because the peer stopped reading and the write deadline passed. */
public final class WriteStalledException extends SocketTimeoutException {
  private static final long serialVersionUID = 1L;

  /** A stalled write, explained by {@code message}. */
  public WriteStalledException(String message, Throwable cause) {
    super(message);
    initCause(cause);
  }
}
