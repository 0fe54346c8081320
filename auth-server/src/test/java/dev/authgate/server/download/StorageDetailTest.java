package dev.authgate.server.download;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the audit log says when the server cannot read what it publishes. */
class StorageDetailTest {
  @TempDir Path dir;

  @Test
  void aPermissionProblemNamesThePathWhoTheServerRunsAsAndTheOwnerAndMode() throws IOException {
    Path shared =
        Files.createDirectory(
            dir.resolve("_all"),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-x---")));

    String detail = DownloadSession.storageDetail(new AccessDeniedException(shared.toString()));

    String user = System.getProperty("user.name");
    assertThat(detail)
        .isEqualTo(
            shared
                + ": permission denied (running as "
                + user
                + "); it is owned by "
                + user
                + ", mode 0750");
  }

  @Test
  void anyOtherProblemIsThePathAndWhy() {
    assertThat(DownloadSession.storageDetail(new IOException("the disk is on fire")))
        .isEqualTo("the disk is on fire");
  }
}
