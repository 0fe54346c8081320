package dev.authgate.client.chat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.authgate.protocol.session.ChatMessage.Event;
import dev.authgate.protocol.text.TerminalText;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * How chat events are printed: one JSON object per line for scripts (a documented contract), or one
 * readable line for people. Every character a peer chose is escaped in both, so no message can fake
 * another line, sender or event. Stateless and thread-safe.
 */
public final class ChatFormat {
  private static final JsonFactory JSON = new JsonFactory();
  private static final DateTimeFormatter CLOCK =
      DateTimeFormatter.ofPattern("HH:mm").withZone(ZoneId.systemDefault());

  private ChatFormat() {}

  /**
   * {@code {"type":"message","room":"lobby","from":"sensor-1","text":"hi","ts":"...Z"}}; type is
   * the event kind in lower case.
   */
  public static String json(Event event) {
    return json(
        event.kind().name().toLowerCase(Locale.ROOT),
        event.room(),
        event.from(),
        event.text(),
        event.timestamp(),
        -1);
  }

  /**
   * A line of the same shape for what the client itself reports ({@code sent}, {@code
   * disconnected}, {@code reconnected}); {@code line} is added when not negative.
   */
  public static String json(
      String type, String room, String from, String text, long timestamp, long line) {
    StringWriter out = new StringWriter(96);
    try (JsonGenerator json = JSON.createGenerator(out)) {
      json.writeStartObject();
      json.writeStringField("type", type);
      json.writeStringField("room", room);
      json.writeStringField("from", from);
      json.writeStringField("text", text);
      json.writeStringField("ts", Instant.ofEpochMilli(timestamp).toString());
      if (line >= 0) {
        json.writeNumberField("line", line);
      }
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException("a StringWriter does not fail", e);
    }
    // Jackson escapes C0 controls; TerminalText turns C1, DEL, bidi controls and the line
    // separators into \\u escapes too, which keeps the line valid JSON with the same meaning.
    return TerminalText.escape(out.toString());
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
