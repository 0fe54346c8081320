package dev.authgate.server.cli;

import dev.authgate.protocol.keyfile.KeyFileException;
import dev.authgate.protocol.text.IoErrors;

/** Turns an exception into the one line an operator sees. Stateless. */
final class OneLine {
  private OneLine() {}

  static String message(Throwable e) {
    if (e instanceof java.nio.file.FileSystemException f && !(e instanceof KeyFileException)) {
      // The JDK's file exceptions say only the path; name what happened to it.
      return IoErrors.describe(f);
    }
    String message = e.getMessage();
    if (message == null || message.isBlank()) {
      return e.getClass().getSimpleName();
    }
    return message.replace('\n', ' ');
  }
}
