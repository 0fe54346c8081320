package dev.authgate.server.keystore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.keyfile.KeyStatus;
import dev.authgate.server.audit.AuditEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The running server's view of the keystore follows every change a look can see, owners too. */
class KeystoreWatcherTest {
  @TempDir Path dir;
  private final List<AuditEvent> audited = new CopyOnWriteArrayList<>();

  private KeystoreDirectory keystore() {
    return new KeystoreDirectory(dir.resolve("keys"), Clock.systemUTC(), RandomSource.secure());
  }

  @Test
  void aKeyFileGivenAwayToAnotherUserIsRefusedAtTheNextLook_evenWithItsModeAndMtimeKept()
      throws IOException {
    Assumptions.assumeTrue(
        "root".equals(System.getProperty("user.name")), "only root can give a file away");
    keystore().add("bob");
    LiveKeystore live = new LiveKeystore(keystore().load(), Clock.systemUTC());
    KeystoreWatcher watcher = new KeystoreWatcher(keystore(), live, audited::add, () -> {});
    watcher.markLoaded();
    Path file = dir.resolve("keys/bob.keys");
    FileTime mtime = Files.getLastModifiedTime(file);
    assertThat(live.find("bob", "k1"))
        .get()
        .extracting(r -> r.status())
        .isEqualTo(KeyStatus.ACTIVE);

    Files.setAttribute(file, "unix:uid", 65534, LinkOption.NOFOLLOW_LINKS);
    Files.setLastModifiedTime(file, mtime);

    assertThat(watcher.checkNow()).as("a reload was attempted").isTrue();
    assertThat(live.find("bob", "k1")).isEmpty();
    assertThat(live.snapshot().skipped())
        .singleElement()
        .satisfies(s -> assertThat(s.problem()).contains("owned by uid 65534"));
    watcher.close();
  }

  @Test
  void aChmodThatKeepsTheModeStillCountsAsAChange_andNoChangeIsNoReload() throws IOException {
    keystore().add("bob");
    LiveKeystore live = new LiveKeystore(keystore().load(), Clock.systemUTC());
    KeystoreWatcher watcher = new KeystoreWatcher(keystore(), live, audited::add, () -> {});
    watcher.markLoaded();
    assertThat(watcher.checkNow()).isFalse();

    Path file = dir.resolve("keys/bob.keys");
    long ctime = ((FileTime) Files.getAttribute(file, "unix:ctime")).toMillis();
    // ctime has the file system's granularity: touch the metadata until it moves.
    for (int i = 0;
        i < 1_000_000 && ((FileTime) Files.getAttribute(file, "unix:ctime")).toMillis() == ctime;
        i++) {
      Files.setPosixFilePermissions(file, Files.getPosixFilePermissions(file));
    }

    assertThat(watcher.checkNow()).isTrue();
    watcher.close();
  }
}
