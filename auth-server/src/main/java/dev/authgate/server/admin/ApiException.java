package dev.authgate.server.admin;

/**
 * A request the API refuses, with its HTTP status, a stable {@code error} and a sentence. The
 * sentence never repeats a secret (a token is never echoed).
 */
final class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  final int status;
  final String error;

  ApiException(int status, String error, String message) {
    super(message, null, false, false);
    this.status = status;
    this.error = error;
  }
}
