package dev.authgate.server.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonLinesAuditLogTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;
  final Clock clock = Clock.fixed(Instant.parse("2026-11-22T10:00:00Z"), ZoneOffset.UTC);

  @Test
  void writesOneObjectPerLineWithMillisecondUtcTimestamps() throws IOException {
    Path file = dir.resolve("logs/audit.jsonl");
    try (JsonLinesAuditLog log = JsonLinesAuditLog.open(file, clock)) {
      log.record(
          AuditEvent.of(AuditEventType.AUTH_REJECTED)
              .with("reason", "bad-proof")
              .with("bytes", 12));
    }
    List<String> lines = Files.readAllLines(file);
    assertThat(lines)
        .containsExactly(
            "{\"ts\":\"2026-11-22T10:00:00.000Z\",\"event\":\"auth.rejected\","
                + "\"reason\":\"bad-proof\",\"bytes\":12}");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
  }

  @Test
  void appendsToAnExistingLog() throws IOException {
    Path file = dir.resolve("audit.jsonl");
    for (int i = 0; i < 2; i++) {
      try (JsonLinesAuditLog log = JsonLinesAuditLog.open(file, clock)) {
        log.record(AuditEvent.of(AuditEventType.SERVER_STARTED));
      }
    }
    assertThat(Files.readAllLines(file)).hasSize(2);
  }

  @Test
  void valuesCannotBreakTheLineOrForgeFields() throws IOException {
    Path file = dir.resolve("audit.jsonl");
    String hostile = "a\"b\\c\r\nd\u0000e\u2028f\u0085\t{\"event\":\"auth.accepted\"}";
    try (JsonLinesAuditLog log = JsonLinesAuditLog.open(file, clock)) {
      log.record(AuditEvent.of(AuditEventType.AUTH_REJECTED).with("client_id", hostile));
    }
    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(1);
    JsonNode event = JSON.readTree(lines.get(0));
    assertThat(event.path("client_id").asText()).isEqualTo(hostile);
    assertThat(event.path("event").asText()).isEqualTo("auth.rejected");
  }

  @Test
  void c1BidiAndSeparatorCharactersAreWrittenAsEscapesAndReadBackIntact() throws IOException {
    Path file = dir.resolve("audit.jsonl");
    String hostile = "x\u009b2J\u0085\u202egnp\u2066\u200f\u061c\u2029\u007f\ud800y\ud83d\ude00";
    try (JsonLinesAuditLog log = JsonLinesAuditLog.open(file, clock)) {
      log.record(AuditEvent.of(AuditEventType.AUTH_REJECTED).with("detail", hostile));
    }
    String line = Files.readString(file);
    assertThat(line)
        .contains("x\\u009b2J\\u0085\\u202egnp\\u2066\\u200f\\u061c\\u2029\\u007f\\ud800y")
        .contains("\ud83d\ude00");
    assertThat(new ObjectMapper().readTree(line).path("detail").asText()).isEqualTo(hostile);
  }

  @Test
  void longValuesAreCut() throws IOException {
    Path file = dir.resolve("audit.jsonl");
    try (JsonLinesAuditLog log = JsonLinesAuditLog.open(file, clock)) {
      log.record(AuditEvent.of(AuditEventType.AUTH_REJECTED).with("client_id", "x".repeat(10_000)));
    }
    JsonNode event = JSON.readTree(Files.readAllLines(file).get(0));
    assertThat(event.path("client_id").asText())
        .hasSize(JsonLine.MAX_VALUE_CHARS + 3)
        .endsWith("...");
  }

  @Test
  void concurrentWritersNeverInterleaveLines() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    try (JsonLinesAuditLog log = JsonLinesAuditLog.open(file, clock);
        ExecutorService pool = Executors.newFixedThreadPool(8)) {
      for (int t = 0; t < 8; t++) {
        int thread = t;
        pool.submit(
            () -> {
              for (int i = 0; i < 500; i++) {
                log.record(
                    AuditEvent.of(AuditEventType.SESSION_CLOSED)
                        .with("thread", thread)
                        .with("i", i)
                        .with("pad", "y".repeat(100)));
              }
            });
      }
      pool.shutdown();
      assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    }
    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(4000);
    for (String line : lines) {
      assertThat(JSON.readTree(line).path("event").asText()).isEqualTo("session.closed");
    }
  }

  @Test
  void aFullDiskLosesEventsButNeverLeavesATornLineAndSaysSoWhenItRecovers() throws IOException {
    try (java.nio.file.FileSystem small = smallFileSystem()) {
      Path file = small.getPath("/logs/audit.jsonl");
      Path filler = small.getPath("/filler");
      try (JsonLinesAuditLog log = JsonLinesAuditLog.open(file, clock)) {
        log.record(AuditEvent.of(AuditEventType.SERVER_STARTED));
        fillUp(filler);
        for (int i = 0; i < 50; i++) {
          log.record(AuditEvent.of(AuditEventType.AUTH_REJECTED).with("detail", "x".repeat(300)));
        }
        assertThat(log.lostEvents()).isPositive();
        long lost = log.lostEvents();
        Files.delete(filler);
        log.record(AuditEvent.of(AuditEventType.AUTH_ACCEPTED).with("client_id", "after"));

        List<String> lines = Files.readAllLines(file);
        for (String line : lines) {
          assertThat(JSON.readTree(line).isObject()).as(line).isTrue();
        }
        assertThat(lines.get(0)).contains("server.started");
        JsonNode notice = JSON.readTree(lines.get(lines.size() - 2));
        assertThat(notice.path("event").asText()).isEqualTo("audit.lost");
        assertThat(notice.path("count").asLong()).isEqualTo(lost);
        assertThat(lines.get(lines.size() - 1)).contains("\"client_id\":\"after\"");
      }
    }
  }

  @Test
  void aWriterThatHitsAFullDiskNeverCutsAwayWhatAnotherWriterAppended() throws IOException {
    try (java.nio.file.FileSystem small = smallFileSystem()) {
      Path file = small.getPath("/logs/audit.jsonl");
      Path filler = small.getPath("/filler");
      try (JsonLinesAuditLog server = JsonLinesAuditLog.open(file, clock);
          JsonLinesAuditLog command = JsonLinesAuditLog.open(file, clock)) {
        server.record(AuditEvent.of(AuditEventType.SERVER_STARTED));
        command.record(AuditEvent.of(AuditEventType.ENROLL_TOKEN_CREATED).with("token_id", "t1"));
        server.record(AuditEvent.of(AuditEventType.KEYS_RELOADED));
        command.record(AuditEvent.of(AuditEventType.ENROLL_APPROVED).with("client_id", "m1"));
        fillUp(filler);
        for (int i = 0; i < 20; i++) {
          server.record(
              AuditEvent.of(AuditEventType.SESSION_CLOSED).with("detail", "x".repeat(300)));
        }
        assertThatThrownBy(
                () ->
                    command.recordOrThrow(
                        AuditEvent.of(AuditEventType.KEYS_REVOKED).with("detail", "y")))
            .isInstanceOf(IOException.class)
            .hasMessageContaining("cannot write audit log " + file);
        Files.delete(filler);
        server.record(AuditEvent.of(AuditEventType.AUTH_ACCEPTED).with("client_id", "after"));

        List<String> lines = Files.readAllLines(file);
        for (String line : lines) {
          assertThat(JSON.readTree(line).isObject()).as(line).isTrue();
        }
        assertThat(lines.stream().map(l -> l.replaceAll(".*\"event\":\"([^\"]+)\".*", "$1")))
            .containsSubsequence(
                "server.started",
                "enroll.token_created",
                "keys.reloaded",
                "enroll.approved",
                "audit.lost",
                "auth.accepted")
            .doesNotContain("keys.revoked");
      }
    }
  }

  /** A 64 KiB in-memory file system, so a test can fill it. */
  private static java.nio.file.FileSystem smallFileSystem() {
    return com.google.common.jimfs.Jimfs.newFileSystem(
        com.google.common.jimfs.Configuration.unix().toBuilder()
            .setAttributeViews("basic", "owner", "posix", "unix")
            .setMaxSize(64 * 1024)
            .setBlockSize(512)
            .build());
  }

  /** Writes to {@code filler} until the file system is full. */
  private static void fillUp(Path filler) {
    try (var out = Files.newOutputStream(filler)) {
      byte[] block = new byte[100];
      while (true) {
        out.write(block);
      }
    } catch (IOException full) {
      // Full, as intended.
    }
  }

  @Test
  void aFailingSinkDoesNotThrowAndCountsWhatIsLost() throws IOException {
    try (JsonLinesAuditLog log = JsonLinesAuditLog.open(Path.of("/dev/full"), clock)) {
      log.record(AuditEvent.of(AuditEventType.AUTH_REJECTED));
      log.record(AuditEvent.of(AuditEventType.AUTH_REJECTED));
      assertThat(log.lostEvents()).isEqualTo(2);
    }
  }
}
