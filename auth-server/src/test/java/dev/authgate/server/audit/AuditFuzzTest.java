package dev.authgate.server.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.authgate.protocol.text.TerminalText;
import java.time.Instant;
import org.junit.jupiter.api.Tag;

/**
 * Fuzz targets for the audit log: whatever a peer puts in a field, the writer produces one line of
 * JSON that reads back to the same value (cut to its limit) and holds no raw unsafe character; and
 * the reader and summariser take any line without throwing.
 */
@Tag("system")
class AuditFuzzTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @FuzzTest
  void anyPeerValueIsWrittenAsOneLineThatReadsBackTheSame(FuzzedDataProvider data)
      throws Exception {
    String clientId = data.consumeString(200);
    String detail = data.consumeRemainingAsString();
    String line =
        JsonLine.render(
            "2026-11-23T00:00:00.000Z",
            AuditEvent.of(AuditEventType.AUTH_REJECTED)
                .with("client_id", clientId)
                .with("detail", detail));

    assertThat(line).endsWith("\n");
    assertThat(line.indexOf('\n')).isEqualTo(line.length() - 1);
    assertThat(TerminalText.hasUnsafe(line.substring(0, line.length() - 1))).isFalse();
    JsonNode event = JSON.readTree(line);
    assertThat(event.path("event").asText()).isEqualTo("auth.rejected");
    assertThat(clientId).startsWith(strip(event.path("client_id").asText()));
    assertThat(detail).startsWith(strip(event.path("detail").asText()));
  }

  private static String strip(String written) {
    return written.endsWith("...") ? written.substring(0, written.length() - 3) : written;
  }

  @FuzzTest
  void theReaderAndSummaryTakeAnyLine(FuzzedDataProvider data) {
    AuditReader reader = new AuditReader();
    AuditSummary summary = new AuditSummary(data.consumeBoolean() ? null : Instant.EPOCH);
    while (data.remainingBytes() > 0) {
      JsonNode event = reader.parse(data.consumeString(500));
      if (event != null) {
        summary.add(event);
      }
    }
    assertThat(summary.accepted()).isNotNegative();
    assertThat(summary.rejected()).isNotNegative();
  }
}
