package dev.authgate.client.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The shipped systemd units (the server's, and the watched-folder upload template) are hardened:
 * {@code systemd-analyze security} rates each one's exposure 2.5 or lower ("OK"). Runs where
 * systemd-analyze is installed (it reads the unit offline).
 */
class SystemdUnitTest {
  @ParameterizedTest
  @CsvSource({
    "authgate.service, authgate.service",
    "authgate-upload@.service, authgate-upload@i.service"
  })
  void eachUnitsExposureIsAtMostTwoPointFive(String file, String analysed) throws Exception {
    Path analyze = Path.of("/usr/bin/systemd-analyze");
    assumeTrue(Files.isExecutable(analyze), "systemd-analyze not installed");
    Path unit = Path.of("..", "contrib", "systemd", file);
    Process process =
        new ProcessBuilder(
                analyze.toString(), "security", "--offline=true", "--threshold=25", unit.toString())
            .redirectErrorStream(true)
            .start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(output).contains("Overall exposure level for " + analysed);
    assertThat(process.exitValue()).as(output).isZero();
  }

  /**
   * The score the server unit's comment and docs/OPERATIONS.md cite is the one {@code
   * systemd-analyze} of the systemd version they name gives, and both cite the same.
   */
  @Test
  void theCitedScoreIsTheMeasuredOne() throws Exception {
    String unit = Files.readString(Path.of("..", "contrib", "systemd", "authgate.service"));
    String operations = Files.readString(Path.of("..", "docs", "OPERATIONS.md"));
    Matcher comment =
        Pattern.compile("scores this unit ([0-9.]+) \"OK\" with systemd ([0-9]+)").matcher(unit);
    assertThat(comment.find()).as("the unit's comment cites a score and a version").isTrue();
    Matcher docs =
        Pattern.compile("`systemd-analyze security` rates it ([0-9.]+) \"OK\"").matcher(operations);
    assertThat(docs.find()).as("OPERATIONS.md cites a score").isTrue();
    assertThat(docs.group(1)).as("OPERATIONS.md and the unit agree").isEqualTo(comment.group(1));

    Path analyze = Path.of("/usr/bin/systemd-analyze");
    assumeTrue(Files.isExecutable(analyze), "systemd-analyze not installed");
    String version = run(analyze.toString(), "--version");
    assumeTrue(
        version.startsWith("systemd " + comment.group(2) + " "),
        "the score is cited for systemd "
            + comment.group(2)
            + ", this is "
            + version.lines().findFirst().orElse(""));
    String output =
        run(
            analyze.toString(),
            "security",
            "--offline=true",
            Path.of("..", "contrib", "systemd", "authgate.service").toString());
    assertThat(output)
        .contains("Overall exposure level for authgate.service: " + comment.group(1) + " OK");
  }

  private static String run(String... command) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return output;
  }
}
