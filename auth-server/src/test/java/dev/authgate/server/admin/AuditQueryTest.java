package dev.authgate.server.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Paging the audit log: newest first, nothing lost or shown twice, however events share a time. */
class AuditQueryTest {
  @TempDir Path dir;

  /** 250 events in bursts: up to 9 share a millisecond, and pages end inside bursts. */
  private Path log() throws IOException {
    StringBuilder lines = new StringBuilder();
    Instant t = Instant.parse("2026-12-08T10:00:00.000Z");
    int n = 0;
    while (n < 250) {
      int burst = 1 + (n * 7) % 9;
      for (int i = 0; i < burst && n < 250; i++, n++) {
        lines.append(
            String.format(
                "{\"ts\":\"%s\",\"event\":\"%s\",\"n\":%d,\"remote\":\"%s\"}%n",
                t,
                n % 3 == 0 ? "auth.rejected" : "auth.accepted",
                n,
                n % 5 == 0 ? "[2001:db8::1]:4000" : "192.0.2.7:5000"));
      }
      t = t.plusMillis(1);
    }
    lines.append("torn line {\n");
    Path log = dir.resolve("audit.jsonl");
    Files.writeString(log, lines);
    return log;
  }

  private static List<Integer> all(Path log, Set<String> events, String source, int limit)
      throws IOException {
    List<Integer> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      AuditQuery.Page page =
          new AuditQuery(events, null, source, null, null, limit, cursor).run(log);
      assertThat(page.events().size()).isLessThanOrEqualTo(limit);
      page.events().forEach(e -> seen.add(e.path("n").asInt()));
      cursor = page.next();
      assertThat(++pages).isLessThan(1000);
    } while (cursor != null);
    return seen;
  }

  @Test
  void everyPageSizeShowsEveryEventOnceNewestFirst() throws IOException {
    Path log = log();
    List<Integer> expected = new ArrayList<>();
    for (int i = 249; i >= 0; i--) {
      expected.add(i);
    }
    for (int limit : new int[] {1, 2, 3, 7, 9, 10, 100, 1000}) {
      assertThat(all(log, Set.of(), null, limit)).as("limit %d", limit).isEqualTo(expected);
    }
  }

  @Test
  void filtersKeepOnlyTheirEvents_andPageExactlyToo() throws IOException {
    Path log = log();
    List<Integer> rejected = all(log, Set.of("auth.rejected"), null, 4);
    assertThat(rejected).allMatch(n -> n % 3 == 0).hasSize(84);
    assertThat(rejected).isSortedAccordingTo(Collections.reverseOrder());
    assertThat(all(log, Set.of(), "2001:db8::1", 6)).allMatch(n -> n % 5 == 0).hasSize(50);
    assertThat(all(log, Set.of(), "192.0.2.7", 1000)).hasSize(200);
    AuditQuery.Page page =
        new AuditQuery(
                Set.of(), null, null, null, Instant.parse("2026-12-08T10:00:00.001Z"), 100, null)
            .run(log);
    assertThat(page.events()).extracting((JsonNode e) -> e.path("n").asInt()).containsExactly(0);
    assertThat(page.malformedLines()).isEqualTo(1);
  }

  @Test
  void aRotatedGzippedPartIsPagedAsIfItWereOneFile() throws IOException {
    Path log = log();
    List<String> lines = Files.readAllLines(log);
    Path rotated = dir.resolve("audit.jsonl.1.gz");
    try (java.io.OutputStream out =
        new java.util.zip.GZIPOutputStream(Files.newOutputStream(rotated))) {
      out.write(
          (String.join("\n", lines.subList(0, 150)) + "\n")
              .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    Files.setLastModifiedTime(rotated, java.nio.file.attribute.FileTime.fromMillis(1_000));
    Files.write(log, lines.subList(150, lines.size()));
    List<Integer> expected = new ArrayList<>();
    for (int i = 249; i >= 0; i--) {
      expected.add(i);
    }
    for (int limit : new int[] {1, 7, 9, 100, 1000}) {
      assertThat(all(log, Set.of(), null, limit)).as("limit %d", limit).isEqualTo(expected);
    }
    assertThat(all(log, Set.of("auth.rejected"), null, 5)).hasSize(84);
  }

  @Test
  void aCursorOrALimitItDidNotGiveIsRefused() {
    for (String cursor :
        new String[] {
          "x",
          "2026-12-08T10:00:00Z",
          "yesterday~1",
          "2026-12-08T10:00:00Z~-1",
          "2026-12-08T10:00:00Z~10001",
          "2026-12-08T10:00:00Z~9999999"
        }) {
      assertThatThrownBy(() -> new AuditQuery(Set.of(), null, null, null, null, 10, cursor))
          .as(cursor)
          .hasMessageContaining("cursor");
    }
    assertThatThrownBy(() -> new AuditQuery(Set.of(), null, null, null, null, 0, null))
        .hasMessageContaining("limit");
  }
}
