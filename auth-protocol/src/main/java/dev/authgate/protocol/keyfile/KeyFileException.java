package dev.authgate.protocol.keyfile;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A key file or keystore directory that cannot be used: missing, malformed, or too open. The
 * message names the file and what fixes it; it never contains key material.
 */
public class KeyFileException extends IOException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;

  /** A problem with {@code file}, explained by {@code message}. */
  public KeyFileException(Path file, String message) {
    super(message);
    this.file = file;
  }

  /** A problem with {@code file} caused by another exception. */
  public KeyFileException(Path file, String message, Throwable cause) {
    super(message, cause);
    this.file = file;
  }

  /** The file or directory concerned. */
  public Path file() {
    return file;
  }
}
