package dev.authgate.protocol.text;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IoErrorsTest {
  @Test
  void aDeniedFileSaysPermissionDeniedAndWhoAsked_notTheExceptionClass() {
    String line = IoErrors.describe(new AccessDeniedException("keys/sensor-1.keys"));

    assertThat(line)
        .isEqualTo(
            "keys/sensor-1.keys: permission denied (running as "
                + System.getProperty("user.name")
                + ")")
        .doesNotContain("Exception");
  }

  @Test
  void theOperatingSystemsReasonIsKept() {
    assertThat(IoErrors.describe(new FileSystemException("keys", null, "Operation not permitted")))
        .isEqualTo("keys: operation not permitted");
    assertThat(IoErrors.describe(new NoSuchFileException("logs/audit.jsonl")))
        .isEqualTo("logs/audit.jsonl: no such file or directory");
  }

  @Test
  void anExceptionWithoutAPathOrMessageStillSaysSomething() {
    assertThat(IoErrors.describe(new IOException())).isEqualTo("input/output error");
    assertThat(IoErrors.describe(new IOException("disk on fire"))).isEqualTo("disk on fire");
  }

  @Test
  void ownerAndModeNameTheOwnerAndTheOctalMode(@TempDir Path dir) throws IOException {
    Path keys = Files.createDirectory(dir.resolve("keys"));
    Files.setPosixFilePermissions(keys, PosixFilePermissions.fromString("rwx------"));

    assertThat(IoErrors.ownerAndMode(keys))
        .isEqualTo("owned by " + Files.getOwner(keys).getName() + ", mode 0700");
    assertThat(IoErrors.ownerAndMode(dir.resolve("absent"))).isEmpty();
  }
}
