package dev.authgate.server.cli;

import static dev.authgate.server.cli.ServerCliRun.server;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;
  Path log;

  private static String event(String ts, String name, String fields) {
    return "{\"ts\":\"" + ts + "\",\"event\":\"" + name + "\"" + fields + "}\n";
  }

  private static String rejected(String ts, String remote, String clientId, String reason) {
    return event(
        ts,
        "auth.rejected",
        ",\"conn\":\"x\",\"remote\":\""
            + remote
            + "\",\"client_id\":\""
            + clientId
            + "\",\"reason\":\""
            + reason
            + "\"");
  }

  @BeforeEach
  void writeLogs() throws IOException {
    log = dir.resolve("audit.jsonl");
    Path rotated = dir.resolve("audit.jsonl.2026-11-20.0.gz");
    try (Writer out =
        new java.io.OutputStreamWriter(
            new GZIPOutputStream(Files.newOutputStream(rotated)), StandardCharsets.UTF_8)) {
      for (int i = 0; i < 7; i++) {
        out.write(rejected("2026-11-20T08:00:0" + i + ".000Z", "10.0.0.1:4000", "a", "bad-proof"));
      }
    }
    Files.setLastModifiedTime(rotated, FileTime.from(Instant.parse("2026-11-20T09:00:00Z")));
    StringBuilder live = new StringBuilder();
    for (int i = 0; i < 30; i++) {
      live.append(event("2026-11-22T10:00:00.000Z", "auth.accepted", ",\"client_id\":\"ok\""));
    }
    for (int i = 0; i < 10; i++) {
      live.append(rejected("2026-11-22T10:01:0" + i + ".000Z", "10.0.0.1:5000", "a", "bad-proof"));
    }
    for (int i = 0; i < 5; i++) {
      live.append(
          rejected(
              "2026-11-22T10:02:0" + i + ".000Z", "[2001:db8::7]:5000", "b", "unknown-client"));
    }
    live.append(
        event(
            "2026-11-22T10:03:00.000Z",
            "auth.rejected",
            ",\"source\":\"10.0.0.1/32\",\"reason\":\"penalized\",\"count\":100"));
    live.append("{\"ts\":\"2026-11-22T10:04:00.000Z\",\"event\":\"auth.rej\n");
    Files.writeString(log, live);
  }

  @Test
  void jsonGivesTheExactCountsOfEveryFileIncludingRotatedAndCompressedOnes() throws IOException {
    ServerCliRun run = server("audit", "--audit-log", log.toString(), "--json");

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.err()).contains("warning: skipped 1 damaged lines");
    JsonNode summary = JSON.readTree(run.out());
    assertThat(summary.path("accepted").asLong()).isEqualTo(30);
    assertThat(summary.path("rejected").asLong()).isEqualTo(7 + 10 + 5 + 100);
    assertThat(summary.path("by_reason").get(0).path("reason").asText()).isEqualTo("penalized");
    assertThat(summary.path("by_reason").get(0).path("count").asLong()).isEqualTo(100);
    assertThat(summary.path("by_reason").get(1).path("count").asLong()).isEqualTo(17);
    assertThat(summary.path("by_reason").get(1).path("first").asText())
        .isEqualTo("2026-11-20T08:00:00.000Z");
    assertThat(summary.path("by_reason").get(1).path("last").asText())
        .isEqualTo("2026-11-22T10:01:09.000Z");
    // The penalty's "10.0.0.1/32" and the connections' "10.0.0.1:5000" are one source.
    assertThat(summary.path("by_source").findValuesAsText("source"))
        .containsExactly("10.0.0.1", "2001:db8::7");
    assertThat(summary.path("by_source").get(0).path("count").asLong())
        .isEqualTo(7 + 10 + 5 + 100 - 5);
    assertThat(summary.path("by_client_id").get(0).path("client_id").asText()).isEqualTo("-");
  }

  @Test
  void theLogsOfSeveralServersAreSummarisedAsOneAndGroupedByServer() throws IOException {
    Path a = dir.resolve("a.jsonl");
    Path b = dir.resolve("b.jsonl");
    String tagA = ",\"server_id\":\"gw-a\"}";
    String tagB = ",\"server_id\":\"gw-b\"}";
    StringBuilder logA = new StringBuilder();
    StringBuilder logB = new StringBuilder();
    for (int i = 0; i < 3; i++) {
      logA.append(
          rejected("2026-11-22T10:00:0" + i + ".000Z", "10.0.0.9:1", "x", "bad-proof")
              .replace("}\n", tagA + "\n"));
    }
    for (int i = 0; i < 2; i++) {
      logB.append(
          rejected("2026-11-22T10:00:0" + i + ".000Z", "10.0.0.9:2", "x", "bad-proof")
              .replace("}\n", tagB + "\n"));
    }
    Files.writeString(a, logA);
    Files.writeString(b, logB);

    ServerCliRun json =
        server("audit", "--audit-log", a.toString(), "--audit-log", b.toString(), "--json");
    ServerCliRun table = server("audit", "--audit-log", a.toString(), "--audit-log", b.toString());

    assertThat(json.exit()).as(json.err()).isZero();
    JsonNode summary = JSON.readTree(json.out());
    assertThat(summary.path("rejected").asLong()).isEqualTo(5);
    assertThat(summary.path("by_source").get(0).path("count").asLong()).isEqualTo(5);
    assertThat(summary.path("by_server_id").findValuesAsText("server_id"))
        .containsExactly("gw-a", "gw-b");
    assertThat(table.out())
        .contains(a + " + " + b + " (2 files)")
        .contains("rejections by server id")
        .containsPattern("gw-a +3");
  }

  @Test
  void aSingleServersSummaryHasNoServerGrouping() {
    ServerCliRun run = server("audit", "--audit-log", log.toString(), "--json");

    assertThat(run.out()).doesNotContain("by_server_id");
  }

  @Test
  void sinceLeavesOutOlderEvents() throws IOException {
    ServerCliRun run =
        server("audit", "--audit-log", log.toString(), "--json", "--since", "2026-11-22T10:02:00Z");

    JsonNode summary = JSON.readTree(run.out());
    assertThat(summary.path("accepted").asLong()).isZero();
    assertThat(summary.path("rejected").asLong()).isEqualTo(105);
  }

  @Test
  void theTableIsForPeopleAndMentionsSkippedLines() {
    ServerCliRun run = server("audit", "--audit-log", log.toString(), "--top", "2");

    assertThat(run.out())
        .contains("30 accepted, 122 rejected")
        .contains("(1 lines were not audit events and were skipped)")
        .contains("rejections by reason")
        .contains("rejections by source")
        .contains("rejections by client id")
        .containsPattern("penalized +100");
  }

  @Test
  void sinceAcceptsDurationsDatesAndInstants() {
    Clock clock = Clock.fixed(Instant.parse("2026-11-22T12:00:00Z"), ZoneOffset.UTC);
    assertThat(AuditCommand.parseSince("2h", clock)).isEqualTo("2026-11-22T10:00:00Z");
    assertThat(AuditCommand.parseSince("2026-11-21", clock)).isEqualTo("2026-11-21T00:00:00Z");
    assertThat(AuditCommand.parseSince("2026-11-21T05:00:00Z", clock))
        .isEqualTo("2026-11-21T05:00:00Z");
    ServerCliRun bad = server("audit", "--audit-log", log.toString(), "--since", "yesterday");
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).contains("neither a duration");
  }

  @Test
  void aMissingLogIsOneClearLine() {
    ServerCliRun run = server("audit", "--audit-log", dir.resolve("none.jsonl").toString());

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).contains("no audit log there");
  }

  @Test
  void aMillionEventsAreSummarisedInBoundedMemory() throws IOException {
    Path big = dir.resolve("big/audit.jsonl");
    Files.createDirectories(big.getParent());
    try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(big), 1 << 20)) {
      for (int i = 0; i < 1_000_000; i++) {
        String line =
            i % 4 == 0
                ? event("2026-11-22T10:00:00.000Z", "auth.accepted", "")
                : rejected(
                    "2026-11-22T10:00:00.000Z",
                    "10." + (i % 250) + "." + (i % 200) + ".1:1",
                    "c" + (i % 1000),
                    "bad-proof");
        out.write(line.getBytes(StandardCharsets.UTF_8));
      }
    }

    ServerCliRun run = server("audit", "--audit-log", big.toString(), "--json");

    JsonNode summary = JSON.readTree(run.out());
    assertThat(summary.path("accepted").asLong()).isEqualTo(250_000);
    assertThat(summary.path("rejected").asLong()).isEqualTo(750_000);
  }
}
