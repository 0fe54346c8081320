package dev.authgate.server.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditRotationTest {
  @TempDir Path dir;

  static final class SteppingClock extends Clock {
    volatile Instant now = Instant.parse("2026-11-22T23:59:00Z");

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  private List<String> siblings() throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void rotatesBySizeWithoutLosingOrSplittingAnEventAndKeepsAtMostMaxFiles() throws Exception {
    Path log = dir.resolve("audit.jsonl");
    SteppingClock clock = new SteppingClock();
    try (JsonLinesAuditLog audit =
            JsonLinesAuditLog.open(log, clock, new AuditRotation(10_000, 3, false, true));
        ExecutorService pool = Executors.newFixedThreadPool(4)) {
      for (int t = 0; t < 4; t++) {
        int thread = t;
        pool.submit(
            () -> {
              for (int i = 0; i < 250; i++) {
                audit.record(
                    AuditEvent.of(AuditEventType.SESSION_CLOSED)
                        .with("thread", thread)
                        .with("i", i)
                        .with("pad", "p".repeat(60)));
              }
            });
      }
      pool.shutdown();
      assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    }

    assertThat(siblings())
        .hasSize(4)
        .contains("audit.jsonl")
        .allMatch(
            n -> n.equals("audit.jsonl") || n.matches("audit\\.jsonl\\.2026-11-22\\.\\d+\\.gz"));
    assertThat(Files.size(log)).isLessThanOrEqualTo(10_000);
    List<JsonNode> events = new ArrayList<>();
    AuditReader reader = new AuditReader();
    reader.read(AuditReader.files(log), events::add);
    assertThat(reader.malformedLines()).isZero();
    assertThat(events).allMatch(e -> e.path("event").asText().equals("session.closed"));
    // Only the newest rotated files are kept, so the oldest events are gone, none are torn.
    assertThat(events.size()).isBetween(200, 999);
    for (String name : siblings()) {
      assertThat(
              java.nio.file.attribute.PosixFilePermissions.toString(
                  Files.getPosixFilePermissions(dir.resolve(name))))
          .as("%s holds client ids and addresses", name)
          .isEqualTo("rw-------");
    }
  }

  @Test
  void rotatesWhenTheUtcDateChanges() throws Exception {
    Path log = dir.resolve("audit.jsonl");
    SteppingClock clock = new SteppingClock();
    try (JsonLinesAuditLog audit = JsonLinesAuditLog.open(log, clock, AuditRotation.defaults())) {
      audit.record(AuditEvent.of(AuditEventType.SERVER_STARTED).with("mark", "before-midnight"));
      clock.now = clock.now.plus(Duration.ofMinutes(2));
      audit.record(AuditEvent.of(AuditEventType.SERVER_STOPPED).with("mark", "after-midnight"));
    }
    assertThat(siblings()).containsExactly("audit.jsonl", "audit.jsonl.2026-11-22.0.gz");
    assertThat(Files.readString(log)).contains("after-midnight").doesNotContain("before");
  }

  @Test
  void aCompressionCutByAKillIsCleanedUpAtTheNextStartSoNoEventIsLostOrReadTwice()
      throws Exception {
    Path log = dir.resolve("audit.jsonl");
    String line = "{\"ts\":\"2026-11-20T10:00:00.000Z\",\"event\":\"auth.accepted\"}\n";
    Path plain = dir.resolve("audit.jsonl.2026-11-20.0");
    Files.writeString(plain, line.repeat(3));
    try (var zip =
        new java.util.zip.GZIPOutputStream(
            Files.newOutputStream(dir.resolve("audit.jsonl.2026-11-20.0.gz")))) {
      zip.write(line.repeat(3).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    Files.write(dir.resolve("audit.jsonl.2026-11-21.0.gz.partial"), new byte[] {0x1f, (byte) 0x8b});
    Files.writeString(dir.resolve("audit.jsonl.2026-11-21.0"), line.repeat(2));

    JsonLinesAuditLog.open(log, Clock.systemUTC(), AuditRotation.defaults()).close();

    assertThat(plain).doesNotExist();
    assertThat(siblings())
        .as("the partial gzip removed, the file it was made from compressed")
        .containsExactlyInAnyOrder(
            "audit.jsonl", "audit.jsonl.2026-11-20.0.gz", "audit.jsonl.2026-11-21.0.gz");
    List<JsonNode> events = new ArrayList<>();
    new AuditReader().read(AuditReader.files(log), events::add);
    assertThat(events).hasSize(5);
  }

  @Test
  void aWriterThatDoesNotCompressLeavesAPartialGzipAlone_itMayBeTheServersCompressionUnderWay()
      throws Exception {
    Path log = dir.resolve("audit.jsonl");
    Path plain = dir.resolve("audit.jsonl.2026-11-21.0");
    Files.writeString(plain, "{\"event\":\"auth.accepted\"}\n");
    Path partial = dir.resolve("audit.jsonl.2026-11-21.0.gz.partial");
    Files.write(partial, new byte[] {0x1f, (byte) 0x8b});

    JsonLinesAuditLog.open(log, Clock.systemUTC()).close(); // as a keys command opens it

    assertThat(partial).exists();
    assertThat(plain).exists();
  }

  @Test
  void aPartialGzipAnotherWriterHoldsIsLeftAlone_andItsFileIsNotCompressedTwice() throws Exception {
    Path log = dir.resolve("audit.jsonl");
    Path plain = dir.resolve("audit.jsonl.2026-11-21.0");
    Files.writeString(plain, "{\"event\":\"auth.accepted\"}\n");
    Path partial = dir.resolve("audit.jsonl.2026-11-21.0.gz.partial");
    Files.write(partial, new byte[] {0x1f, (byte) 0x8b});
    // Another server compressing this file holds the partial's lock (here: a child process, since
    // this JVM's own lock would not exclude it).
    Process holder =
        new ProcessBuilder(
                "python3",
                "-c",
                "import fcntl,sys,time; f=open(sys.argv[1],'r+b'); fcntl.lockf(f, fcntl.LOCK_EX);"
                    + " print('held', flush=True); time.sleep(60)",
                partial.toString())
            .start();
    try {
      assertThat(new String(holder.getInputStream().readNBytes(4))).isEqualTo("held");

      JsonLinesAuditLog.open(log, Clock.systemUTC(), AuditRotation.defaults()).close();

      assertThat(Files.readAllBytes(partial)).as("untouched").containsExactly(0x1f, (byte) 0x8b);
      assertThat(plain).exists();
      assertThat(dir.resolve("audit.jsonl.2026-11-21.0.gz")).doesNotExist();
    } finally {
      holder.destroyForcibly().waitFor();
    }
  }

  @Test
  void aCutShortGzipIsReadUpToTheDamageAndNamed_theRestOfTheLogStillCounts() throws Exception {
    Path log = dir.resolve("audit.jsonl");
    String line = "{\"ts\":\"2026-11-20T10:00:00.000Z\",\"event\":\"auth.accepted\"}\n";
    Files.writeString(log, line);
    java.io.ByteArrayOutputStream whole = new java.io.ByteArrayOutputStream();
    try (var zip = new java.util.zip.GZIPOutputStream(whole)) {
      zip.write(line.repeat(1000).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    byte[] bytes = whole.toByteArray();
    Path cut = dir.resolve("audit.jsonl.2026-11-20.0.gz");
    Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length / 2));

    AuditReader reader = new AuditReader();
    List<JsonNode> events = new ArrayList<>();
    reader.read(AuditReader.files(log), events::add);

    assertThat(reader.damagedFiles()).singleElement().asString().startsWith(cut.toString());
    assertThat(events).as("the live log is still read").isNotEmpty().hasSizeLessThan(1001);
  }

  @Test
  void theReaderNeverTakesAPartialGzip() throws Exception {
    Path log = dir.resolve("audit.jsonl");
    Files.writeString(log, "");
    Files.write(dir.resolve("audit.jsonl.2026-11-21.0.gz.partial"), new byte[] {0x1f, (byte) 0x8b});

    assertThat(AuditReader.files(log)).containsExactly(log);
  }

  @Test
  void aSecondWriterFollowsARotationByAnotherSoNoLineGoesIntoTheRotatedFile() throws Exception {
    Path log = dir.resolve("audit.jsonl");
    SteppingClock clock = new SteppingClock();
    try (JsonLinesAuditLog server =
            JsonLinesAuditLog.open(log, clock, new AuditRotation(2_000, 10, false, false));
        JsonLinesAuditLog command = JsonLinesAuditLog.open(log, clock, AuditRotation.never())) {
      command.record(AuditEvent.of(AuditEventType.KEYS_ADDED).with("client_id", "before"));
      for (int i = 0; i < 20; i++) {
        server.record(AuditEvent.of(AuditEventType.AUTH_ACCEPTED).with("detail", "x".repeat(100)));
      }
      assertThat(siblings()).contains("audit.jsonl.2026-11-22.0");

      command.record(AuditEvent.of(AuditEventType.KEYS_ADDED).with("client_id", "after"));

      assertThat(Files.readString(log)).contains("\"client_id\":\"after\"");
      assertThat(Files.readString(dir.resolve("audit.jsonl.2026-11-22.0")))
          .contains("\"client_id\":\"before\"")
          .doesNotContain("\"client_id\":\"after\"");
    }
  }
}
