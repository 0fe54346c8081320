package dev.authgate.server.audit;

import dev.authgate.protocol.text.Durations;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;

/** The times an operator names a stretch of the audit log with ({@code audit --since}, the API). */
public final class AuditTimes {
  private AuditTimes() {}

  /**
   * {@code 1h} means an hour ago; a date means its start (UTC); an instant means itself.
   *
   * @param what the option or parameter, for the message
   * @throws IllegalArgumentException naming {@code what} if {@code text} is none of those
   */
  public static Instant parse(String text, Clock clock, String what) {
    try {
      // Whole seconds: "since 2026-11-23T05:49:47Z" reads better than nanoseconds, and counts the
      // same events give or take the second an operator cannot have meant.
      return clock.instant().minus(Durations.parse(text)).truncatedTo(ChronoUnit.SECONDS);
    } catch (RuntimeException notADuration) {
      try {
        return Instant.parse(text);
      } catch (DateTimeParseException notAnInstant) {
        try {
          return LocalDate.parse(text).atStartOfDay().toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
          throw new IllegalArgumentException(
              what
                  + " '"
                  + text
                  + "' is neither a duration (1h) nor a time (2026-11-22T10:00:00Z)");
        }
      }
    }
  }
}
