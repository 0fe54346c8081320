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
