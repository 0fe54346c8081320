package dev.authgate.protocol.keyfile;

import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What one client may do once verified, kept in its keystore file as one optional line:
 *
 * <pre>
 * permissions sessions=upload,chat rooms=ops,sensors-* max-file=10485760 quota=104857600 expires=2027-01-01T00:00:00Z
 * </pre>
 *
 * Every attribute is optional and a missing one allows what the server allows: every session kind,
 * every room, the server's {@code --max-file-size} and {@code --quota}, no expiry. A room pattern
 * is a room name, or a prefix ending in {@code *}. Sizes are bytes. Immutable.
 *
 * @param sessions the session kinds the client may open
 * @param rooms the rooms it may join (names or {@code prefix*}); null for every room
 * @param maxFileSize its largest file in bytes; null for the server's limit
 * @param quota the bytes its stored files may take in all; null for the server's quota
 * @param expires when the client stops being let in; null for never
 */
public record Permissions(
    Set<SessionKind> sessions, List<String> rooms, Long maxFileSize, Long quota, Instant expires) {

  /** A kind of session. */
  public enum SessionKind {
    /** A session that only pings. */
    PING,
    /** A session in the chat rooms. */
    CHAT,
    /** A session that uploads files. */
    UPLOAD,
    /** A session that lists and fetches published files. */
    DOWNLOAD;

    /** {@code ping}, {@code chat}, {@code upload}, {@code download}. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Everything the server allows. */
  public static final Permissions ALL =
      new Permissions(EnumSet.allOf(SessionKind.class), null, null, null, null);

  /** A room pattern: a room name (as chat allows) with an optional trailing {@code *}. */
  private static final Pattern ROOM = Pattern.compile("[A-Za-z0-9._-]{1,64}\\*?|\\*");

  static final String LINE = "permissions";

  /** Validates and copies. */
  public Permissions {
    sessions = sessions.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(sessions));
    if (rooms != null) {
      rooms = List.copyOf(rooms);
      for (String room : rooms) {
        if (!ROOM.matcher(room).matches()) {
          throw new IllegalArgumentException(
              "room pattern '"
                  + room
                  + "' must be a room name (A-Z a-z 0-9 . _ -, up to 64), optionally ending in *");
        }
      }
    }
    if (maxFileSize != null && maxFileSize < 0 || quota != null && quota < 0) {
      throw new IllegalArgumentException("sizes cannot be negative");
    }
  }

  /** Whether the client may open a session of this kind. */
  public boolean allows(SessionKind kind) {
    return sessions.contains(kind);
  }

  /** Whether the client may join {@code room}. */
  public boolean allowsRoom(String room) {
    if (rooms == null) {
      return true;
    }
    for (String pattern : rooms) {
      if (pattern.endsWith("*")
          ? room.startsWith(pattern.substring(0, pattern.length() - 1))
          : room.equals(pattern)) {
        return true;
      }
    }
    return false;
  }

  /** Whether the client is past its expiry at {@code now}. */
  public boolean expiredAt(Instant now) {
    return expires != null && !now.isBefore(expires);
  }

  /** Whether this allows everything the server allows (then no line is written). */
  public boolean unrestricted() {
    return equals(ALL);
  }

  /**
   * The limits in the keystore file's own words ({@code sessions=upload quota=10485760}), for
   * listings; empty if unrestricted.
   */
  public String describe() {
    return format();
  }

  /** The attributes after {@code permissions }, in a fixed order; empty if unrestricted. */
  String format() {
    List<String> parts = new ArrayList<>();
    if (!sessions.equals(ALL.sessions)) {
      parts.add(
          "sessions="
              + (sessions.isEmpty()
                  ? "none"
                  : String.join(
                      ",", EnumSet.copyOf(sessions).stream().map(SessionKind::label).toList())));
    }
    if (rooms != null) {
      parts.add("rooms=" + (rooms.isEmpty() ? "none" : String.join(",", rooms)));
    }
    if (maxFileSize != null) {
      parts.add("max-file=" + maxFileSize);
    }
    if (quota != null) {
      parts.add("quota=" + quota);
    }
    if (expires != null) {
      parts.add("expires=" + expires);
    }
    return String.join(" ", parts);
  }

  /** Parses the attributes of a {@code permissions} line. */
  static Permissions parse(Path file, KeyText.Line line) throws KeyFileException {
    Map<String, String> attributes = new HashMap<>();
    for (String part : line.value().split(" +")) {
      int eq = part.indexOf('=');
      if (eq < 1 || attributes.put(part.substring(0, eq), part.substring(eq + 1)) != null) {
        throw KeyText.error(file, line.number(), "expected distinct name=value attributes");
      }
    }
    Set<SessionKind> sessions = EnumSet.allOf(SessionKind.class);
    List<String> rooms = null;
    Long maxFile = null;
    Long quota = null;
    Instant expires = null;
    for (Map.Entry<String, String> a : attributes.entrySet()) {
      String value = a.getValue();
      switch (a.getKey()) {
        case "sessions" -> sessions = sessions(file, line, value);
        case "rooms" -> rooms = value.equals("none") ? List.of() : List.of(value.split(",", -1));
        case "max-file" -> maxFile = bytes(file, line, a.getKey(), value);
        case "quota" -> quota = bytes(file, line, a.getKey(), value);
        case "expires" -> {
          try {
            expires = Instant.parse(value);
          } catch (DateTimeParseException e) {
            throw KeyText.error(file, line.number(), "expires is not an ISO-8601 instant");
          }
        }
        default ->
            throw KeyText.error(
                file, line.number(), "unknown permissions attribute '" + a.getKey() + "'");
      }
    }
    try {
      return new Permissions(sessions, rooms, maxFile, quota, expires);
    } catch (IllegalArgumentException e) {
      throw KeyText.error(file, line.number(), e.getMessage());
    }
  }

  /** {@code ping,chat}, {@code all} or {@code none}, as a set. */
  public static Set<SessionKind> sessions(String text) {
    if (text.equals("all")) {
      return EnumSet.allOf(SessionKind.class);
    }
    Set<SessionKind> kinds = EnumSet.noneOf(SessionKind.class);
    if (text.equals("none")) {
      return kinds;
    }
    for (String name : text.split(",", -1)) {
      try {
        kinds.add(SessionKind.valueOf(name.strip().toUpperCase(Locale.ROOT)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "'" + name + "' is not a session kind; use ping, chat, upload, download, all or none");
      }
    }
    return kinds;
  }

  private static Set<SessionKind> sessions(Path file, KeyText.Line line, String value)
      throws KeyFileException {
    try {
      return sessions(value);
    } catch (IllegalArgumentException e) {
      throw KeyText.error(file, line.number(), e.getMessage());
    }
  }

  private static long bytes(Path file, KeyText.Line line, String name, String value)
      throws KeyFileException {
    try {
      long bytes = Long.parseLong(value);
      if (bytes >= 0) {
        return bytes;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw KeyText.error(file, line.number(), name + " must be a number of bytes");
  }

  /** A copy with these session kinds. */
  public Permissions withSessions(Set<SessionKind> kinds) {
    return new Permissions(kinds, rooms, maxFileSize, quota, expires);
  }

  /** A copy with these room patterns (null: every room). */
  public Permissions withRooms(List<String> patterns) {
    return new Permissions(sessions, patterns, maxFileSize, quota, expires);
  }

  /** A copy with this largest file (null: the server's). */
  public Permissions withMaxFileSize(Long bytes) {
    return new Permissions(sessions, rooms, bytes, quota, expires);
  }

  /** A copy with this quota (null: the server's). */
  public Permissions withQuota(Long bytes) {
    return new Permissions(sessions, rooms, maxFileSize, bytes, expires);
  }

  /** A copy with this expiry (null: never). */
  public Permissions withExpires(Instant when) {
    return new Permissions(sessions, rooms, maxFileSize, quota, when);
  }
}
