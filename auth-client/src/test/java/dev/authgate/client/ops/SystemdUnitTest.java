package dev.authgate.client.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The shipped systemd unit is hardened: {@code systemd-analyze security} rates its exposure 2.5 or
 * lower ("OK"). Runs where systemd-analyze is installed (it reads the unit offline).
 */
class SystemdUnitTest {
  @Test
  void theUnitsExposureIsAtMostTwoPointFive() throws Exception {
    Path analyze = Path.of("/usr/bin/systemd-analyze");
    assumeTrue(Files.isExecutable(analyze), "systemd-analyze not installed");
    Path unit = Path.of("..", "contrib", "systemd", "authgate.service");
    Process process =
        new ProcessBuilder(
                analyze.toString(), "security", "--offline=true", "--threshold=25", unit.toString())
            .redirectErrorStream(true)
            .start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(output).contains("Overall exposure level for authgate.service");
    assertThat(process.exitValue()).as(output).isZero();
  }
}
