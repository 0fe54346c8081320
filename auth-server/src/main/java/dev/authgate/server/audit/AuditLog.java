package dev.authgate.server.audit;

/**
 * Where audit events go. Implementations must be thread-safe and must never throw: an audit sink
 * that fails reports it through the server's own log and keeps the server serving.
 */
@FunctionalInterface
public interface AuditLog {
  /** Records one event. */
  void record(AuditEvent event);

  /**
   * This sink, with {@code server_id} on every event that does not name a server yet: one server of
   * several, whose logs are read together ({@code auth-server audit --audit-log A --audit-log B}).
   */
  default AuditLog taggedWith(String serverId) {
    AuditLog sink = this;
    return event -> {
      if (!event.fields().containsKey("server_id")) {
        event.with("server_id", serverId);
      }
      sink.record(event);
    };
  }

  /** A sink that drops everything, for tests that do not look at the audit. */
  static AuditLog discard() {
    return event -> {};
  }
}
