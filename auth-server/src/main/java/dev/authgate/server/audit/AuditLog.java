package dev.authgate.server.audit;

/**
 * Where audit events go. Implementations must be thread-safe and must never throw: an audit sink
 * that fails reports it through the server's own log and keeps the server serving.
 */
@FunctionalInterface
public interface AuditLog {
  /** Records one event. */
  void record(AuditEvent event);

  /** A sink that drops everything, for tests that do not look at the audit. */
  static AuditLog discard() {
    return event -> {};
  }
}
