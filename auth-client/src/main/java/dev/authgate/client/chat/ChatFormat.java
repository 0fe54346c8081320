package dev.authgate.client.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.authgate.protocol.session.ChatMessage.Event;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * How chat events are printed: one JSON object per line for scripts (a documented contract), or one
 * readable line for people. Every character a peer chose is escaped in both, so no message can fake
 * another line, sender or event. Stateless and thread-safe.
 */
public final class ChatFormat {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DateTimeFormatter CLOCK =
      DateTimeFormatter.ofPattern("HH:mm").withZone(ZoneId.systemDefault());

  private ChatFormat() {}

  /**
   * {@code {"type":"message","room":"lobby","from":"sensor-1","text":"hi","ts":"...Z"}}; type is
   * the event kind in lower case.
   */
  public static String json(Event event) {
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("type", event.kind().name().toLowerCase(Locale.ROOT));
    fields.put("room", event.room());
    fields.put("from", event.from());
    fields.put("text", event.text());
    fields.put("ts", Instant.ofEpochMilli(event.timestamp()).toString());
    try {
      return JSON.writeValueAsString(fields);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a map of strings always serialises", e);
    }
  }

  /** A line for a terminal, e.g. {@code 10:42 [lobby] <sensor-1> hello}. */
  public static String human(Event event) {
    String time = CLOCK.format(Instant.ofEpochMilli(event.timestamp()));
    String room = event.room().isEmpty() ? "" : "[" + event.room() + "] ";
    String text = printable(event.text());
    return switch (event.kind()) {
      case MESSAGE -> time + " " + room + "<" + event.from() + "> " + text;
      case HISTORY -> time + " " + room + "<" + event.from() + "> " + text + "  (earlier)";
      case JOINED -> time + " " + room + "* " + event.from() + " joined";
      case LEFT -> time + " " + room + "* " + event.from() + " left (" + text + ")";
      case WHO -> "* here: " + text.replace(",", ", ");
      case ROOMS -> "* rooms: " + (text.isEmpty() ? "(none)" : text.replace(",", ", "));
      case ERROR -> "! " + text;
      case NOTICE -> "! server: " + text;
    };
  }

  /** Escapes control characters (tab shows as a space) so a message stays on its own line. */
  static String printable(String text) {
    StringBuilder out = new StringBuilder(text.length());
    text.codePoints()
        .forEach(
            c -> {
              if (c == '\t') {
                out.append(' ');
              } else if (c < 0x20
                  || c == 0x7f
                  || (c >= 0x80 && c < 0xa0)
                  || c == 0x2028
                  || c == 0x2029) {
                out.append(String.format("\\u%04x", c));
              } else {
                out.appendCodePoint(c);
              }
            });
    return out.toString();
  }
}
