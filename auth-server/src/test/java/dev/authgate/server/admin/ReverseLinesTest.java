package dev.authgate.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading a file's lines last first, across every way a line can meet a chunk's edge. */
class ReverseLinesTest {
  @TempDir Path dir;

  private static List<String> backwards(Path file) throws IOException {
    List<String> lines = new ArrayList<>();
    try (ReverseLines reverse = new ReverseLines(file)) {
      for (String line = reverse.next(); line != null; line = reverse.next()) {
        lines.add(line);
      }
    }
    return lines;
  }

  @Test
  void linesOfEveryLengthComeBackLastFirst_whereverTheChunksCut() throws IOException {
    Random random = new Random(7);
    for (int round = 0; round < 30; round++) {
      List<String> lines = new ArrayList<>();
      int count = 1 + random.nextInt(400);
      for (int i = 0; i < count; i++) {
        int length =
            random.nextInt(10) == 0 ? random.nextInt(3 * ReverseLines.CHUNK) : random.nextInt(300);
        StringBuilder line = new StringBuilder(i + ":");
        while (line.length() < length) {
          line.append(random.nextBoolean() ? "é" : "x"); // two-byte characters across cuts too
        }
        lines.add(line.toString());
      }
      Path file = dir.resolve("f" + round);
      Files.writeString(
          file, String.join("\n", lines) + (round % 2 == 0 ? "\n" : ""), StandardCharsets.UTF_8);
      List<String> expected = new ArrayList<>(lines);
      Collections.reverse(expected);
      assertThat(backwards(file)).as("round %d", round).isEqualTo(expected);
    }
  }

  @Test
  void anEmptyFileHasNoLines_andBlankLinesAreSkipped() throws IOException {
    Files.writeString(dir.resolve("empty"), "");
    assertThat(backwards(dir.resolve("empty"))).isEmpty();
    Files.writeString(dir.resolve("blank"), "\n\na\n\nb\n\n");
    assertThat(backwards(dir.resolve("blank"))).containsExactly("b", "a");
  }

  @Test
  void aLineLongerThanTheLimitIsSkippedAndCounted_andTheOthersStillCome() throws IOException {
    String huge = "h".repeat(ReverseLines.MAX_LINE + 10);
    Files.writeString(dir.resolve("long"), "first\n" + huge + "\nlast\n" + huge);
    try (ReverseLines reverse = new ReverseLines(dir.resolve("long"))) {
      assertThat(reverse.next()).isEqualTo("last");
      assertThat(reverse.next()).isEqualTo("first");
      assertThat(reverse.next()).isNull();
      assertThat(reverse.skipped()).isEqualTo(2);
    }
  }
}
