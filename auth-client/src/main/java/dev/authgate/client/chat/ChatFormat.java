package dev.authgate.client.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.authgate.protocol.session.ChatMessage.Event;
import dev.authgate.protocol.text.TerminalText;
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
      // Jackson escapes C0 controls; TerminalText turns C1, DEL, bidi controls and the line
      // separators into \\u escapes too, which keeps the line valid JSON with the same meaning.
      return TerminalText.escape(JSON.writeValueAsString(fields));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a map of strings always serialises", e);
    }
  }

  /** A line for a terminal, e.g. {@code 10:42 [lobby] <sensor-1> hello}. */
  public static String human(Event event) {
    String time = CLOCK.format(Instant.ofEpochMilli(event.timestamp()));
    String room = event.room().isEmpty() ? "" : "[" + printable(event.room()) + "] ";
    String from = printable(event.from());
    String text = printable(event.text());
    return switch (event.kind()) {
      case MESSAGE -> time + " " + room + "<" + from + "> " + text;
      case HISTORY -> time + " " + room + "<" + from + "> " + text + "  (earlier)";
      case JOINED -> time + " " + room + "* " + from + " joined";
      case LEFT -> time + " " + room + "* " + from + " left (" + text + ")";
      case WHO -> "* here: " + text.replace(",", ", ");
      case ROOMS -> "* rooms: " + (text.isEmpty() ? "(none)" : text.replace(",", ", "));
      case ERROR -> "! " + text;
      case NOTICE -> "! server: " + text;
    };
  }

  /**
   * Escapes what {@link TerminalText} calls unsafe (tab shows as a space) so a message stays on its
   * own line and cannot act on the terminal.
   */
  static String printable(String text) {
    return TerminalText.escape(text.replace('\t', ' '));
  }
}
