package dev.authgate.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Any TCP peer chooses the client id it claims; an operator reading the audit must never have those
 * bytes act on the terminal. Checked byte by byte on every output mode.
 */
class AuditCommandEscapingTest {
  /**
   * A claimed id with an OSC title change, BEL, CR LF and a forged line, a C1 CSI screen clear,
   * NEL, a right-to-left override and a line separator. C0 controls are JSON escapes in the file;
   * C1 and bidi controls are raw, as an older writer left them.
   */
  private static final String HOSTILE_ID =
      "evil\\u001b]0;pwned\\u0007\\r\\nFORGED-LINE accepted root 10.9.8.7"
          + "\u009b2J\u0085\u202egnp.exe\u2066\u2028\\u007f";

  private static final String LINE =
      "{\"ts\":\"2026-11-22T10:00:00.000Z\",\"event\":\"auth.rejected\",\"conn\":\"x\","
          + "\"remote\":\"10.0.0.1:4000\",\"client_id\":\""
          + HOSTILE_ID
          + "\",\"reason\":\"unknown-client\",\"detail\":\"\\u001b[31mred\"}\n";

  @TempDir Path dir;

  private Path log() throws IOException {
    Path log = dir.resolve("audit.jsonl");
    Files.writeString(log, LINE + LINE);
    return log;
  }

  @Test
  void theTableShowsHostileIdsEscaped() throws IOException {
    ServerCliRun run = ServerCliRun.server("audit", "--audit-log", log().toString());

    assertThat(run.exit()).as(run.err()).isZero();
    assertNoRawControls(run.out());
    assertThat(run.out()).contains("evil\\u001b]0;pwned\\u0007\\u000d\\u000aFORGED-LINE");
  }

  @Test
  void jsonShowsHostileIdsEscapedAndStaysValidJson() throws IOException {
    ServerCliRun run = ServerCliRun.server("audit", "--audit-log", log().toString(), "--json");

    assertThat(run.exit()).as(run.err()).isZero();
    assertNoRawControls(run.out());
    String id =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(run.out())
            .path("by_client_id")
            .get(0)
            .path("client_id")
            .asText();
    assertThat(id)
        .startsWith("evil\u001b]0;pwned\u0007\r\nFORGED")
        .contains("\u009b2J\u0085\u202e");
  }

  @Test
  void followShowsHostileIdsEscaped() throws Exception {
    assertNoRawControls(follow(false));
  }

  @Test
  void followAsJsonShowsHostileIdsEscaped() throws Exception {
    String out = follow(true);
    assertNoRawControls(out);
    assertThat(out).contains("\\u009b2J");
  }

  /** Runs {@code audit --follow}, appends hostile lines until some are printed, then stops it. */
  private String follow(boolean json) throws Exception {
    Path log = dir.resolve("live.jsonl");
    Files.writeString(log, "");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    String[] args =
        json
            ? new String[] {"audit", "--audit-log", log.toString(), "--follow", "--json"}
            : new String[] {"audit", "--audit-log", log.toString(), "--follow"};
    Thread follower =
        Thread.ofPlatform()
            .start(
                () ->
                    AuthServerCommand.run(
                        args,
                        new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8)));
    try {
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(300))
          .until(
              () -> {
                Files.writeString(log, LINE, StandardOpenOption.APPEND);
                return out.toString(StandardCharsets.UTF_8).contains("FORGED");
              });
    } finally {
      follower.interrupt();
      follower.join(Duration.ofSeconds(10));
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /** No C0 control but LF, no DEL, no C1 control, no line separator, no bidi control. */
  private static void assertNoRawControls(String printed) {
    byte[] bytes = printed.getBytes(StandardCharsets.UTF_8);
    for (byte b : bytes) {
      int u = b & 0xff;
      assertThat(u < 0x20 && u != '\n' || u == 0x7f)
          .as("raw control byte 0x%02x in output %s", u, printed)
          .isFalse();
    }
    printed
        .codePoints()
        .forEach(
            c ->
                assertThat(
                        (c >= 0x80 && c <= 0x9f)
                            || c == 0x2028
                            || c == 0x2029
                            || c == 0x061c
                            || c == 0x200e
                            || c == 0x200f
                            || (c >= 0x202a && c <= 0x202e)
                            || (c >= 0x2066 && c <= 0x2069))
                    .as("raw U+%04X in output %s", c, printed)
                    .isFalse());
  }
}
