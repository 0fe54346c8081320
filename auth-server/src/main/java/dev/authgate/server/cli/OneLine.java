package dev.authgate.server.cli;

/** Turns an exception into the one line an operator sees. Stateless. */
final class OneLine {
  private OneLine() {}

  static String message(Throwable e) {
    String message = e.getMessage();
    if (message == null || message.isBlank()) {
      return e.getClass().getSimpleName();
    }
    return message.replace('\n', ' ');
  }
}
