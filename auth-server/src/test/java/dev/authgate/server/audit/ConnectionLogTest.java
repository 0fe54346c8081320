package dev.authgate.server.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** One readable line per connection outcome, beside the audit record, with peer text escaped. */
class ConnectionLogTest {
  private static String line(AuditEvent event) {
    return ConnectionLog.line(event.type(), event.fields());
  }

  @Test
  void acceptedRefusedClosedAndUploadsEachGetOneLine() {
    assertThat(
            line(
                AuditEvent.of(AuditEventType.AUTH_ACCEPTED)
                    .with("remote", "[::1]:5000")
                    .with("client_id", "sensor-1")
                    .with("key_id", "k2")))
        .isEqualTo("accepted sensor-1 (key k2) from [::1]:5000");
    assertThat(
            line(
                AuditEvent.of(AuditEventType.AUTH_REJECTED)
                    .with("remote", "10.0.0.1:5000")
                    .with("client_id", "sensor-9")
                    .with("reason", "bad-proof")))
        .isEqualTo("refused 10.0.0.1:5000: bad-proof (claimed id sensor-9)");
    assertThat(
            line(
                AuditEvent.of(AuditEventType.AUTH_REJECTED)
                    .with("source", "10.0.0.1/32")
                    .with("reason", "penalized")
                    .with("count", 100)))
        .isEqualTo("refused 10.0.0.1/32: penalized x100");
    assertThat(
            line(
                AuditEvent.of(AuditEventType.SESSION_CLOSED)
                    .with("remote", "127.0.0.1:5000")
                    .with("client_id", "sensor-1")
                    .with("bytes_in", 3L << 20)
                    .with("bytes_out", 512)
                    .with("duration_ms", 1500)
                    .with("outcome", "closed")))
        .isEqualTo(
            "closed sensor-1 from 127.0.0.1:5000: closed after 1.5 s, 3.0 MiB in, 512 B out");
    assertThat(
            line(
                AuditEvent.of(AuditEventType.UPLOAD_STORED)
                    .with("client_id", "sensor-1")
                    .with("name", "a.bin")
                    .with("size", 2048)
                    .with("duration_ms", 20)))
        .isEqualTo("stored a.bin for sensor-1: 2.0 KiB in 0.0 s");
    assertThat(line(AuditEvent.of(AuditEventType.KEYS_RELOADED).with("clients", 3))).isNull();
  }

  @Test
  void aClaimedIdCannotWriteControlCharactersToTheOperatorsLog() {
    String logged =
        line(
            AuditEvent.of(AuditEventType.AUTH_REJECTED)
                .with("remote", "10.0.0.1:5000")
                .with("client_id", "x\u001b]0;owned\u0007\nFORGED accepted root")
                .with("reason", "unknown-client"));
    assertThat(logged).doesNotContain("\u001b").doesNotContain("\n").contains("\\u001b");
  }

  @Test
  void everyEventStillReachesTheAuditLog() {
    List<AuditEvent> recorded = new ArrayList<>();
    ConnectionLog log = new ConnectionLog(recorded::add);
    log.record(AuditEvent.of(AuditEventType.AUTH_ACCEPTED).with("client_id", "s"));
    log.record(AuditEvent.of(AuditEventType.KEYS_RELOADED));
    assertThat(recorded)
        .extracting(AuditEvent::name)
        .containsExactly("auth.accepted", "keys.reloaded");
  }
}
