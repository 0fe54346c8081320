package dev.authgate.server.audit;

import dev.authgate.protocol.text.TerminalText;
import java.util.Map;

/**
 * Renders an event as one line of JSON. Every string is escaped so that no value can end the line,
 * forge a field or act on a terminal that shows the file: quotes, backslashes and every character
 * {@link TerminalText#isUnsafe} names (C0 and C1 controls, DEL, the Unicode line separators, bidi
 * controls, lone surrogates) become escapes. Client-supplied strings are cut to a bounded length
 * first.
 */
final class JsonLine {
  /** The longest value written for a field a peer chooses (client id, key id, file name). */
  static final int MAX_VALUE_CHARS = 128;

  /** The longest value written for any other field. */
  static final int MAX_OTHER_CHARS = 1024;

  private static final java.util.Set<String> PEER_FIELDS =
      java.util.Set.of("client_id", "key_id", "name");

  private JsonLine() {}

  static String render(String ts, AuditEvent event) {
    StringBuilder out = new StringBuilder(256);
    out.append("{\"ts\":");
    string(out, ts);
    out.append(",\"event\":");
    string(out, event.name());
    for (Map.Entry<String, Object> field : event.fields().entrySet()) {
      out.append(',');
      string(out, field.getKey());
      out.append(':');
      value(
          out,
          field.getValue(),
          PEER_FIELDS.contains(field.getKey()) ? MAX_VALUE_CHARS : MAX_OTHER_CHARS);
    }
    return out.append("}\n").toString();
  }

  private static void value(StringBuilder out, Object value, int limit) {
    if (value instanceof Number || value instanceof Boolean) {
      out.append(value);
    } else {
      string(out, truncate(String.valueOf(value), limit));
    }
  }

  private static String truncate(String s, int limit) {
    if (s.length() <= limit) {
      return s;
    }
    int end = limit;
    if (Character.isHighSurrogate(s.charAt(end - 1))) {
      end--;
    }
    return s.substring(0, end) + "...";
  }

  static void string(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (TerminalText.isUnsafe(c) && !isSurrogatePair(s, i)) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  /** Whether the char at {@code i} is half of a well-formed surrogate pair (kept as is). */
  private static boolean isSurrogatePair(String s, int i) {
    char c = s.charAt(i);
    if (Character.isHighSurrogate(c)) {
      return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
    }
    return Character.isLowSurrogate(c) && i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
  }
}
