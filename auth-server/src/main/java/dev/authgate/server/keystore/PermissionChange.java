package dev.authgate.server.keystore;

import dev.authgate.protocol.keyfile.ClientKeys;
import dev.authgate.protocol.keyfile.Permissions;
import dev.authgate.protocol.text.Durations;
import dev.authgate.protocol.text.Sizes;
import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditEventType;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * A change to what a client may do, in the words {@code keys set} and the admin API take: each part
 * null to leave it as it is. {@code sessions}: {@code ping,chat,upload,download}, {@code all} or
 * {@code none}; {@code rooms}: names and prefixes ending in {@code *}, {@code all} or {@code none};
 * {@code maxFile} and {@code quota}: a size ({@code 100M}) or {@code default}; {@code expires}: a
 * duration from now ({@code 90d}), an instant, or {@code never}; {@code rotateEvery}: a duration,
 * {@code default} or {@code never}.
 *
 * @param sessions the session kinds, or null
 * @param rooms the rooms, or null
 * @param maxFile the largest file, or null
 * @param quota the quota, or null
 * @param expires when it stops being let in, or null
 * @param rotateEvery how often it rotates its own key, or null
 */
public record PermissionChange(
    String sessions,
    String rooms,
    String maxFile,
    String quota,
    String expires,
    String rotateEvery) {

  /** Whether nothing would change. */
  public boolean isEmpty() {
    return Arrays.asList(sessions, rooms, maxFile, quota, expires, rotateEvery).stream()
        .allMatch(v -> v == null);
  }

  /**
   * The change to the permissions, checked now (before anything is opened).
   *
   * @throws IllegalArgumentException naming the part ({@code --rooms}, …) and what is wrong
   */
  public UnaryOperator<Permissions> permissions(Clock clock) {
    Set<Permissions.SessionKind> newSessions =
        sessions == null ? null : Permissions.sessions(sessions);
    List<String> newRooms =
        rooms == null || rooms.equals("all")
            ? null
            : rooms.equals("none") ? List.of() : List.of(rooms.split(",", -1));
    // Validate the patterns now, not when the file is written.
    new Permissions(Permissions.ALL.sessions(), newRooms, null, null, null);
    Long newMaxFile = size(maxFile, "--max-file");
    Long newQuota = size(quota, "--quota");
    Instant newExpires =
        expires == null || expires.equals("never") ? null : parseExpires(expires, clock);
    return p -> {
      Permissions q = p;
      if (sessions != null) {
        q = q.withSessions(newSessions);
      }
      if (rooms != null) {
        q = q.withRooms(newRooms);
      }
      if (maxFile != null) {
        q = q.withMaxFileSize(newMaxFile);
      }
      if (quota != null) {
        q = q.withQuota(newQuota);
      }
      if (expires != null) {
        q = q.withExpires(newExpires);
      }
      return q;
    };
  }

  /**
   * The rotation policy: null for the server's default, {@link ClientKeys#NEVER_ROTATE}, or a
   * positive duration.
   *
   * @throws IllegalArgumentException if it is none of those
   */
  public Duration rotation() {
    if (rotateEvery == null || rotateEvery.equals("default")) {
      return null;
    }
    if (rotateEvery.equals("never")) {
      return ClientKeys.NEVER_ROTATE;
    }
    try {
      Duration every = Durations.parse(rotateEvery);
      if (every.isNegative() || every.isZero()) {
        throw new IllegalArgumentException("must be positive");
      }
      return every;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "--rotate-every '"
              + rotateEvery
              + "': "
              + e.getMessage()
              + " (say 30d, 12h, default or never)");
    }
  }

  /** The {@code keys.permissions} event for a client whose permissions become {@code after}. */
  public AuditEvent event(String clientId, Permissions after) {
    Duration every = rotation();
    return AuditEvent.of(AuditEventType.KEYS_PERMISSIONS)
        .with("client_id", clientId)
        .with(
            "sessions",
            String.join(
                ",",
                Arrays.stream(Permissions.SessionKind.values())
                    .filter(after::allows)
                    .map(Permissions.SessionKind::label)
                    .toList()))
        .with("rooms", after.rooms() == null ? "all" : String.join(",", after.rooms()))
        .with("max_file", after.maxFileSize())
        .with("quota", after.quota())
        .with("expires", after.expires() == null ? null : after.expires().toString())
        .with(
            "rotate_every",
            rotateEvery == null
                ? null
                : every == null ? "default" : every.isZero() ? "never" : every.toString());
  }

  private static Long size(String text, String option) {
    if (text == null || text.equals("default")) {
      return null;
    }
    try {
      return Sizes.parse(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(option + ": " + e.getMessage());
    }
  }

  private static Instant parseExpires(String text, Clock clock) {
    try {
      return clock.instant().plus(Durations.parse(text)).truncatedTo(ChronoUnit.SECONDS);
    } catch (RuntimeException notADuration) {
      try {
        return Instant.parse(text);
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(
            "--expires '"
                + text
                + "' is neither a duration (90d), an instant (2027-01-01T00:00:00Z) nor never");
      }
    }
  }
}
