package dev.authgate.server.admin;

/**
 * A request the API refuses, with its HTTP status, a stable {@code error} and a sentence. The
 * sentence never repeats a secret (a token is never echoed).
 */
final class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  final int status;
  final String error;

  /** Seconds the caller should wait ({@code Retry-After}), or 0. */
  final long retryAfter;

  ApiException(int status, String error, String message) {
    this(status, error, message, 0);
  }

  ApiException(int status, String error, String message, long retryAfter) {
    super(message, null, false, false);
    this.status = status;
    this.error = error;
    this.retryAfter = retryAfter;
  }
}
