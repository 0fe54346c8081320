package dev.authgate.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ProgressLineTest {
  private static final long MIB = 1 << 20;

  /** 100 of 400 MiB after 2 s at 50 MiB/s: 6 s to go. */
  private static String quarter(String name, int width) {
    return ProgressLine.render(name, 100 * MIB, 400 * MIB, 100 * MIB, Duration.ofSeconds(2), width);
  }

  @Test
  void aWideTerminalShowsNameBarSizesRateAndEta() {
    String line = quarter("backup.tar", 100);

    assertThat(line)
        .startsWith("backup.tar  25% [")
        .endsWith("] 100.0/400.0 MiB 50.0 MiB/s ETA 0:06")
        .contains("[==========>");
  }

  @ParameterizedTest(name = "{0} columns")
  @ValueSource(ints = {200, 100, 80, 60, 50, 40, 30, 20, 12, 8, 5, 4, 2, 1})
  void theLineIsNeverLongerThanTheWidthItIsGiven(int width) {
    for (String name : new String[] {"a", "backup.tar", "x".repeat(200)}) {
      String line = quarter(name, width);
      assertThat(line.length())
          .as("%s at %d columns: %s", name, width, line)
          .isLessThanOrEqualTo(width);
    }
  }

  @Test
  void asTheTerminalNarrowsTheEtaGoesFirstThenSizesThenBarThenRate_thePercentageStays() {
    assertThat(quarter("backup.tar", 72)).contains("ETA");
    assertThat(quarter("backup.tar", 60)).doesNotContain("ETA").contains("400.0 MiB").contains("[");
    assertThat(quarter("backup.tar", 40)).doesNotContain("MiB ").contains("[").contains("MiB/s");
    assertThat(quarter("backup.tar", 80)).startsWith("backup.tar  25%");
    assertThat(quarter("backup.tar", 30)).isEqualTo("backup.tar  25% 50.0 MiB/s");
    assertThat(quarter("backup.tar", 20)).isEqualTo("backup.tar  25%");
    assertThat(quarter("backup.tar", 12)).isEqualTo("25%");
  }

  @Test
  void aLongNameIsShortenedVisiblyBeforeTheBarIsDropped() {
    String line = quarter("nightly-database-dump-" + "x".repeat(40) + ".tar.zst", 80);

    assertThat(line).contains("...  25% [").contains("MiB/s");
    assertThat(line.indexOf("...")).isLessThanOrEqualTo(30);
  }

  @Test
  void aResumedUploadRatesOnlyWhatThisRunSent() {
    String line =
        ProgressLine.render("disk.img", 300 * MIB, 400 * MIB, 10 * MIB, Duration.ofSeconds(1), 100);

    assertThat(line).contains(" 75% ").contains("10.0 MiB/s").endsWith("ETA 0:10");
  }

  @Test
  void controlCharactersInANameCannotMoveTheCursor() {
    String line = quarter("evil\r\u001b[2Kname", 100);

    assertThat(line).doesNotContain("\r").doesNotContain("\u001b");
  }

  @Test
  void anEmptyFileIsDoneAndAnUnknownWidthMeansAnEightyColumnTerminal() {
    assertThat(ProgressLine.render("empty", 0, 0, 0, Duration.ZERO, 0))
        .startsWith("empty 100% [")
        .hasSizeLessThan(80);
  }
}
