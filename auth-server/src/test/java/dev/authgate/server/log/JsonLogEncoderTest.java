package dev.authgate.server.log;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.event.KeyValuePair;

class JsonLogEncoderTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final LoggerContext context = new LoggerContext();

  private LoggingEvent event(String message, Object... keyValues) {
    LoggingEvent event =
        new LoggingEvent("test", context.getLogger("connections"), Level.INFO, message, null, null);
    event.setTimeStamp(1_795_000_000_123L);
    for (int i = 0; i < keyValues.length; i += 2) {
      event.addKeyValuePair(new KeyValuePair((String) keyValues[i], keyValues[i + 1]));
    }
    return event;
  }

  private static String encode(LoggingEvent event) {
    return new String(new JsonLogEncoder().encode(event), StandardCharsets.UTF_8);
  }

  @Test
  void oneFlatObjectPerLineWithTheMessageAndEveryFieldAtTopLevel() throws Exception {
    String line =
        encode(
            event(
                "accepted sensor-1 (key k1) from 127.0.0.1:50412",
                "event",
                "auth.accepted",
                "client_id",
                "sensor-1",
                "handshake_us",
                97107L,
                "ok",
                true));

    assertThat(line).endsWith("}\n").hasLineCount(1);
    JsonNode node = JSON.readTree(line);
    assertThat(node.get("ts").asText()).isEqualTo("2026-11-18T11:06:40.123Z");
    assertThat(node.get("level").asText()).isEqualTo("INFO");
    assertThat(node.get("logger").asText()).isEqualTo("connections");
    assertThat(node.get("msg").asText())
        .isEqualTo("accepted sensor-1 (key k1) from 127.0.0.1:50412");
    assertThat(node.get("event").asText()).isEqualTo("auth.accepted");
    assertThat(node.get("client_id").asText()).isEqualTo("sensor-1");
    assertThat(node.get("handshake_us").isIntegralNumber()).isTrue();
    assertThat(node.get("handshake_us").asLong()).isEqualTo(97107L);
    assertThat(node.get("ok").isBoolean()).isTrue();
  }

  @Test
  void aPeersTextCannotEndTheLineFakeAFieldOrActOnATerminal() throws Exception {
    String hostile = "x\"}\n{\"level\":\"ERROR\u001b[2J\u0085\u202e";
    String line = encode(event("refused: " + hostile, "client_id", hostile));

    assertThat(line).hasLineCount(1);
    assertThat(line.substring(0, line.length() - 1))
        .doesNotContain("\n", "\r", "\u001b", "\u0085", "\u202e");
    JsonNode node = JSON.readTree(line);
    assertThat(node.get("client_id").asText()).isEqualTo(hostile);
    assertThat(node.get("level").asText()).isEqualTo("INFO");
  }

  @Test
  void aFieldNamedLikeOneOfTheLinesOwnIsDroppedNotDuplicated() throws Exception {
    String line =
        encode(event("hello", "level", "FAKE", "msg", "fake", "event", "x", "event", "y"));

    JsonNode node = JSON.readTree(line);
    assertThat(node.get("level").asText()).isEqualTo("INFO");
    assertThat(node.get("msg").asText()).isEqualTo("hello");
    assertThat(node.get("event").asText()).isEqualTo("x");
    assertThat(node.size()).isEqualTo(5);
  }

  @Test
  void anErrorNamesItsCause() throws Exception {
    LoggingEvent event =
        new LoggingEvent(
            "test",
            context.getLogger("keystore"),
            Level.ERROR,
            "reload failed",
            new java.io.IOException("disk gone"),
            null);

    JsonNode node = JSON.readTree(encode(event));
    assertThat(node.get("level").asText()).isEqualTo("ERROR");
    assertThat(node.get("error").asText()).isEqualTo("java.io.IOException: disk gone");
  }

  @Test
  void theStderrAppenderSwitchesToJsonAndBackToItsOwnTextEncoder() {
    LoggerContext logback = (LoggerContext) LoggerFactory.getILoggerFactory();
    OutputStreamAppender<ILoggingEvent> stderr =
        (OutputStreamAppender<ILoggingEvent>)
            logback.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDERR");
    var text = stderr.getEncoder();
    assertThat(text).isNotInstanceOf(JsonLogEncoder.class);
    try {
      LogFormat.JSON.apply();
      assertThat(stderr.getEncoder()).isInstanceOf(JsonLogEncoder.class);
      assertThat(stderr.isStarted()).isTrue();
      LogFormat.JSON.apply();
      assertThat(stderr.getEncoder()).isInstanceOf(JsonLogEncoder.class);
    } finally {
      LogFormat.TEXT.apply();
    }
    assertThat(stderr.getEncoder()).isSameAs(text);
    assertThat(stderr.isStarted()).isTrue();
  }
}
