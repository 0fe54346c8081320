package dev.authgate.server.audit;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One audit event: its {@link AuditEventType} and ordered fields. The timestamp is added by the log
 * when the event is written. Field values are strings, numbers or booleans. Not thread-safe while
 * being built.
 */
public final class AuditEvent {
  private final AuditEventType type;
  private final Map<String, Object> fields = new LinkedHashMap<>();
  private java.time.Instant at;

  private AuditEvent(AuditEventType type) {
    this.type = java.util.Objects.requireNonNull(type, "type");
  }

  /** A new event of {@code type}, e.g. {@link AuditEventType#AUTH_REJECTED}. */
  public static AuditEvent of(AuditEventType type) {
    return new AuditEvent(type);
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

  /**
   * This event as the audit log writes it: one JSON object (no newline), stamped by {@code clock}
   * unless a sink stamped it already.
   */
  public String line(java.time.Clock clock) {
    return JsonLine.render(
            LINE_TS.format(stamp(clock).truncatedTo(java.time.temporal.ChronoUnit.MILLIS)), this)
        .strip();
  }

  private static final java.time.format.DateTimeFormatter LINE_TS =
      java.time.format.DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'")
          .withZone(java.time.ZoneOffset.UTC);

  /** The event name. */
  public String name() {
    return type.wireName();
  }

  /** What kind of event this is. */
  public AuditEventType type() {
    return type;
  }

  /** The fields, in the order added. */
  public Map<String, Object> fields() {
    return Collections.unmodifiableMap(fields);
  }

  @Override
  public String toString() {
    return type.wireName() + fields;
  }
}
