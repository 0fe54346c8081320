package dev.authgate.server.audit;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One audit event: a name and ordered fields. The timestamp is added by the log when the event is
 * written. Field values are strings, numbers or booleans. Not thread-safe while being built.
 */
public final class AuditEvent {
  private final String name;
  private final Map<String, Object> fields = new LinkedHashMap<>();
  private java.time.Instant at;

  private AuditEvent(String name) {
    this.name = name;
  }

  /** A new event called {@code name}, e.g. {@code auth.rejected}. */
  public static AuditEvent of(String name) {
    return new AuditEvent(name);
  }

  /** Adds a field; a null value is left out. */
  public AuditEvent with(String field, Object value) {
    if (value != null) {
      fields.put(field, value);
    }
    return this;
  }

  /**
   * When the event happened: read from {@code clock} the first time it is asked, the same ever
   * after, so every sink that records it (file, syslog) writes one timestamp.
   */
  public java.time.Instant stamp(java.time.Clock clock) {
    if (at == null) {
      at = clock.instant();
    }
    return at;
  }

  /** The event name. */
  public String name() {
    return name;
  }

  /** The fields, in the order added. */
  public Map<String, Object> fields() {
    return Collections.unmodifiableMap(fields);
  }

  @Override
  public String toString() {
    return name + fields;
  }
}
