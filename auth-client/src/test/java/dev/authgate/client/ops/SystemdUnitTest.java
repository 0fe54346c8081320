package dev.authgate.client.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
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
}
