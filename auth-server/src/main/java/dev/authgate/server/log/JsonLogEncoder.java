package dev.authgate.server.log;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.encoder.EncoderBase;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.authgate.protocol.text.TerminalText;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.event.KeyValuePair;

/**
 * One flat JSON object per log event: {@code {"ts":"2026-…Z","level":"INFO","logger":"connections",
 * "msg":"accepted sensor-1 (key k1) from 127.0.0.1:50412","event":"auth.accepted",
 * "client_id":"sensor-1",…}} — the readable line in {@code msg}, and the event's key-value pairs
 * (SLF4J's {@code addKeyValue}) as top-level fields with their JSON types, so a shipper needs no
 * parsing rule. Logback's own {@code JsonEncoder} nests them and writes epoch numbers instead.
 * Every character a peer chose is escaped: no value can end the line or act on a terminal.
 */
public final class JsonLogEncoder extends EncoderBase<ILoggingEvent> {
  private static final JsonFactory JSON = new JsonFactory();
  private static final Set<String> OWN_FIELDS = Set.of("ts", "level", "logger", "msg", "error");

  @Override
  public byte[] headerBytes() {
    return null;
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    return (line(event) + "\n").getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public byte[] footerBytes() {
    return null;
  }

  /** The event as one JSON object, without the line end. */
  static String line(ILoggingEvent event) {
    StringWriter line = new StringWriter(256);
    try (JsonGenerator json = JSON.createGenerator(line)) {
      json.writeStartObject();
      json.writeStringField("ts", Instant.ofEpochMilli(event.getTimeStamp()).toString());
      json.writeStringField("level", event.getLevel().toString());
      json.writeStringField("logger", event.getLoggerName());
      json.writeStringField("msg", event.getFormattedMessage());
      Set<String> written = new HashSet<>(OWN_FIELDS);
      if (event.getKeyValuePairs() != null) {
        for (KeyValuePair pair : event.getKeyValuePairs()) {
          if (pair.key != null && written.add(pair.key)) {
            json.writeFieldName(pair.key);
            value(json, pair.value);
          }
        }
      }
      IThrowableProxy error = event.getThrowableProxy();
      if (error != null) {
        json.writeStringField(
            "error",
            error.getMessage() == null
                ? error.getClassName()
                : error.getClassName() + ": " + error.getMessage());
      }
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException("a StringWriter does not fail", e);
    }
    // Jackson escapes C0 controls; TerminalText turns C1, DEL, bidi controls and the Unicode line
    // separators into \\u escapes too: still valid JSON with the same meaning.
    return TerminalText.escape(line.toString());
  }

  private static void value(JsonGenerator json, Object value) throws IOException {
    if (value == null) {
      json.writeNull();
    } else if (value instanceof Integer || value instanceof Long || value instanceof Short) {
      json.writeNumber(((Number) value).longValue());
    } else if ((value instanceof Double || value instanceof Float)
        && Double.isFinite(((Number) value).doubleValue())) {
      json.writeNumber(((Number) value).doubleValue());
    } else if (value instanceof Boolean b) {
      json.writeBoolean(b);
    } else {
      json.writeString(value.toString());
    }
  }
}
