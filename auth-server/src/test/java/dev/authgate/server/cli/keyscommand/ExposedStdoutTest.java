package dev.authgate.server.cli.keyscommand;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A secret a shell redirects into a file others can read is pointed out before it is written. */
class ExposedStdoutTest {
  @TempDir Path dir;

  @Test
  void aFileGroupOrOthersMayReadIsNamedWithTheChmodThatFixesIt() throws IOException {
    Path file = Files.createFile(dir.resolve("sensor-1.credential"));
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    Path fd = Files.createSymbolicLink(dir.resolve("fd1"), file); // as /proc/self/fd/1 is

    assertThat(
            ExposedStdout.warning(fd, "the credential's secret", ", or write it with --out FILE"))
        .startsWith("the credential's secret is going to " + file + ", which group or others may")
        .contains("mode 0644")
        .endsWith("chmod 600 " + file + " now, or write it with --out FILE");
  }

  @Test
  void aPrivateFileATerminalOrAPipeIsNotWarnedAbout() throws IOException {
    Path file = Files.createFile(dir.resolve("private.credential"));
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));

    assertThat(ExposedStdout.warning(file, "the secret", "")).isNull();
    assertThat(ExposedStdout.warning(Path.of("/dev/null"), "the secret", "")).isNull();
    assertThat(ExposedStdout.warning(dir.resolve("nothing-there"), "the secret", "")).isNull();
  }
}
