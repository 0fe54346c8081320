package dev.authgate.server.keystore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.crypto.ScramKeys;
import dev.authgate.protocol.crypto.Verifier;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.keyfile.KeyFileException;
import dev.authgate.protocol.keyfile.KeyFiles;
import dev.authgate.protocol.keyfile.KeyStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.HexFormat;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeystoreDirectoryTest {
  @TempDir Path dir;
  final Clock clock = Clock.fixed(Instant.parse("2026-11-22T10:00:00Z"), ZoneOffset.UTC);

  private KeystoreDirectory keystore() {
    return new KeystoreDirectory(dir.resolve("keys"), clock, RandomSource.secure());
  }

  @Test
  void theKeyFileHoldsExactlyTheVerifiersDerivedFromTheCredentialAndNoSecret() throws IOException {
    Credential credential = keystore().add("sensor-1");
    String file = Files.readString(dir.resolve("keys/sensor-1.keys"));
    ScramKeys keys = credential.scramKeys();
    Base64.Encoder b64 = Base64.getEncoder();

    assertThat(file)
        .contains("stored-key=" + b64.encodeToString(keys.verifier().storedKey()))
        .contains("server-key=" + b64.encodeToString(keys.verifier().serverKey()))
        .contains("created=2026-11-22T10:00:00Z");
    String secret = credential.format().replaceAll("(?s).*\nsecret (\\S+)\n.*", "$1");
    byte[] secretBytes = Base64.getDecoder().decode(secret);
    assertThat(file)
        .doesNotContain(secret)
        .doesNotContain(HexFormat.of().formatHex(secretBytes))
        .doesNotContain(b64.encodeToString(keys.clientKey()));
  }

  @Test
  void aLoadedClientIsFoundWithItsStatus() throws IOException {
    keystore().add("sensor-1");
    LiveKeystore live = new LiveKeystore(keystore().load(), clock);

    assertThat(live.find("sensor-1", "k1"))
        .get()
        .extracting(r -> r.status())
        .isEqualTo(KeyStatus.ACTIVE);
    assertThat(live.find("sensor-1", "k2")).isEmpty();
    assertThat(live.find("sensor-2", "k1")).isEmpty();

    keystore().revoke("sensor-1");
    live.replace(keystore().load());
    assertThat(live.find("sensor-1", "k1"))
        .get()
        .extracting(r -> r.status())
        .isEqualTo(KeyStatus.REVOKED);
  }

  @Test
  void aCorruptFileIsSkippedAndReportedWhileOthersLoad() throws IOException {
    keystore().add("good");
    keystore().add("broken");
    Path broken = dir.resolve("keys/broken.keys");
    Files.writeString(broken, Files.readString(broken).replace("stored-key=", "stored-key=!!"));

    KeystoreSnapshot snapshot = keystore().load();

    assertThat(snapshot.clients()).containsOnlyKeys("good");
    assertThat(snapshot.skipped())
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.file()).isEqualTo(broken);
              assertThat(s.problem()).isEqualTo(broken + ":4: stored-key is not valid base64");
            });
  }

  @Test
  void aFileReadableByOthersIsSkippedWithTheChmodThatFixesIt() throws IOException {
    keystore().add("sensor-1");
    Path file = dir.resolve("keys/sensor-1.keys");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));

    assertThat(keystore().load().skipped())
        .singleElement()
        .extracting(KeystoreSnapshot.Skipped::problem)
        .isEqualTo(file + " is accessible by group or others (mode 0644); run: chmod 600 " + file);
  }

  @Test
  void aFileNamedForAnotherClientIsSkipped() throws IOException {
    keystore().add("sensor-1");
    Files.move(dir.resolve("keys/sensor-1.keys"), dir.resolve("keys/admin.keys"));

    assertThat(keystore().load().skipped())
        .singleElement()
        .extracting(KeystoreSnapshot.Skipped::problem)
        .asString()
        .contains("holds client 'sensor-1' but should be named sensor-1.keys");
  }

  @Test
  void addingTheSameIdTwiceFailsAndKeepsTheFirstKey() throws IOException {
    keystore().add("sensor-1");
    String before = Files.readString(dir.resolve("keys/sensor-1.keys"));

    assertThatThrownBy(() -> keystore().add("sensor-1"))
        .isInstanceOf(KeyFileException.class)
        .hasMessageContaining("already exists");
    assertThat(Files.readString(dir.resolve("keys/sensor-1.keys"))).isEqualTo(before);
  }

  @Test
  void idsThatAreNotOneSafeNameAreRefused() {
    for (String id :
        new String[] {"", "a/b", "..\\x", "a b", "x".repeat(65), "é", ".", "..", ".x"}) {
      assertThatThrownBy(() -> keystore().add(id)).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void aHiddenKeyFileLeftByAnOlderVersionIsSkippedAsAnInvalidId() throws IOException {
    keystore().add("sensor-1");
    String dots = Files.readString(dir.resolve("keys/sensor-1.keys")).replace("sensor-1", "..");
    Files.writeString(dir.resolve("keys/...keys"), dots);
    Files.setPosixFilePermissions(
        dir.resolve("keys/...keys"), PosixFilePermissions.fromString("rw-------"));

    KeystoreSnapshot snapshot = keystore().load();

    assertThat(snapshot.clients()).containsOnlyKeys("sensor-1");
    assertThat(snapshot.skipped())
        .singleElement()
        .satisfies(s -> assertThat(s.file().getFileName().toString()).isEqualTo("...keys"));
  }

  @Test
  void leftoverTempFilesAreIgnored() throws IOException {
    keystore().add("sensor-1");
    Files.writeString(dir.resolve("keys/.tmp-123.keys"), "half written");

    KeystoreSnapshot snapshot = keystore().load();
    assertThat(snapshot.skipped()).isEmpty();
    assertThat(snapshot.clients()).containsOnlyKeys("sensor-1");
  }

  private static boolean root() {
    return FileOwnership.EffectiveUid.get() == 0;
  }

  private KeystoreSnapshot withSensors() throws IOException {
    keystore().add("sensor-1");
    keystore().add("sensor-2");
    return keystore().load();
  }

  @Test
  void aKeyFileThatIsASymbolicLinkIsSkippedNamingItAndTheOthersLoad() throws IOException {
    withSensors();
    Path elsewhere = Files.createDirectories(dir.resolve("elsewhere")).resolve("sensor-2.keys");
    Files.move(dir.resolve("keys/sensor-2.keys"), elsewhere);
    Files.createSymbolicLink(dir.resolve("keys/sensor-2.keys"), elsewhere);

    KeystoreSnapshot snapshot = keystore().load();

    assertThat(snapshot.clients()).containsOnlyKeys("sensor-1");
    assertThat(snapshot.skipped())
        .singleElement()
        .satisfies(
            s ->
                assertThat(s.problem())
                    .contains(dir.resolve("keys/sensor-2.keys").toString())
                    .contains("is a symbolic link")
                    .contains("cp --remove-destination"));
  }

  @Test
  void aKeyFileOwnedByAnotherUserIsSkippedWithTheChownThatFixesIt() throws IOException {
    org.junit.jupiter.api.Assumptions.assumeTrue(root(), "only root can give a file away");
    withSensors();
    Path file = dir.resolve("keys/sensor-2.keys");
    Files.setAttribute(file, "unix:uid", 65534, java.nio.file.LinkOption.NOFOLLOW_LINKS);

    KeystoreSnapshot snapshot = keystore().load();

    assertThat(snapshot.clients()).containsOnlyKeys("sensor-1");
    assertThat(snapshot.skipped())
        .singleElement()
        .satisfies(
            s ->
                assertThat(s.problem())
                    .contains("owned by uid 65534")
                    .contains("run: chown 0 " + file));
  }

  @Test
  void rootAtAKeystoreThatBelongsToTheServiceIsToldToRunAsTheServiceUser_neverToChownIt()
      throws IOException {
    org.junit.jupiter.api.Assumptions.assumeTrue(root(), "only root can give a directory away");
    withSensors();
    Files.setAttribute(dir.resolve("keys"), "unix:uid", 65534);
    String owner = Files.getOwner(dir.resolve("keys")).getName();

    assertThatThrownBy(() -> keystore().load())
        .isInstanceOf(KeyFileException.class)
        .hasMessageContaining("belongs to " + owner + " (uid 65534), the server's user")
        .hasMessageContaining("runuser -u " + owner + " -- auth-server")
        .hasMessageNotContaining("chown");
  }

  @Test
  void aKeystoreDirectoryThatIsASymbolicLinkIsRefused() throws IOException {
    withSensors();
    Path real = dir.resolve("real-keys");
    Files.move(dir.resolve("keys"), real);
    Files.createSymbolicLink(dir.resolve("keys"), real);

    assertThatThrownBy(() -> keystore().load())
        .isInstanceOf(KeyFileException.class)
        .hasMessageContaining("is a symbolic link")
        .hasMessageContaining(real.toString());
  }

  @Test
  void aKeystoreDirectoryReadableByGroupIsRefusedWithTheChmodThatFixesIt() throws IOException {
    withSensors();
    Files.setPosixFilePermissions(
        dir.resolve("keys"), PosixFilePermissions.fromString("rwxr-x---"));

    assertThatThrownBy(() -> keystore().load())
        .isInstanceOf(KeyFileException.class)
        .hasMessageContaining("run: chmod 700 " + dir.resolve("keys"));
  }

  @Test
  void twoIdsHoldingTheSameVerifierAreBothRefusedNamingBothFiles() throws IOException {
    withSensors();
    String copied =
        Files.readString(dir.resolve("keys/sensor-1.keys")).replace("sensor-1", "mallory");
    KeyFiles.writePrivate(dir.resolve("keys/mallory.keys"), copied, false);

    KeystoreSnapshot snapshot = keystore().load();

    assertThat(snapshot.clients()).containsOnlyKeys("sensor-2");
    assertThat(snapshot.skipped())
        .extracting(KeystoreSnapshot.Skipped::problem)
        .hasSize(2)
        .allSatisfy(
            p ->
                assertThat(p)
                    .contains(dir.resolve("keys/sensor-1.keys").toString())
                    .contains(dir.resolve("keys/mallory.keys").toString())
                    .contains("same verifier"));
  }

  /**
   * A server looks up an id it does not know in the directory at once (a machine another server
   * just enrolled gets in without waiting for the watcher), and rereads a rotating client's changed
   * file: neither may let in what a full read refuses. Neither id of a copied file, whether the
   * copy was there at the last read or made after it, and no edit giving a known client another's
   * verifier.
   */
  @Test
  void aCopiedKeyFileIsNotLetInByTheLookupOfAnIdTheServerDoesNotKnow() throws IOException {
    withSensors();
    copy("sensor-1", "mallory");
    LiveKeystore live = new LiveKeystore(keystore().load(), Clock.systemUTC(), keystore());
    for (int attempt = 0; attempt < 2; attempt++) {
      assertThat(live.find("mallory", "k1")).as("the copy").isEmpty();
      assertThat(live.find("sensor-1", "k1")).as("its original, refused with it").isEmpty();
    }
    assertThat(live.find("sensor-2", "k1")).isPresent();

    // A copy made after the last full read.
    copy("sensor-2", "eve");
    assertThat(live.find("eve", "k1")).isEmpty();
    assertThat(live.refresh("eve")).isFalse();
    assertThat(live.snapshot().client("eve")).isEmpty();

    // A known client's file edited to hold another client's verifier keeps its old entry here.
    Files.delete(dir.resolve("keys/eve.keys"));
    keystore().add("sensor-3");
    LiveKeystore fresh = new LiveKeystore(keystore().load(), Clock.systemUTC(), keystore());
    String before = fresh.snapshot().client("sensor-3").orElseThrow().format();
    copy("sensor-2", "sensor-3");
    assertThat(fresh.refresh("sensor-3")).isFalse();
    assertThat(fresh.snapshot().client("sensor-3").orElseThrow().format()).isEqualTo(before);

    // A genuinely new machine (as another server enrolls it) is let in at once.
    keystore().add("sensor-4");
    assertThat(fresh.find("sensor-4", "k1")).isPresent();
  }

  /**
   * A lookup racing the watcher's reload never puts back what the reload refused: the copy stays
   * out once the reload that refused it is in force (it did in about 1 race of 100).
   */
  @Test
  void aLookupRacingTheWatchersReloadNeverPutsBackACopyTheReloadRefused() throws Exception {
    withSensors();
    KeystoreDirectory keystore = keystore();
    ExecutorService racer = Executors.newSingleThreadExecutor();
    try {
      for (int trial = 0; trial < 1_000; trial++) {
        // Neither file is in the snapshot in force: the original and its copy arrive together.
        LiveKeystore live = new LiveKeystore(keystore.load(), Clock.systemUTC(), keystore);
        keystore.add("orig-" + trial);
        copy("orig-" + trial, "copy-" + trial);
        String copy = "copy-" + trial;
        CyclicBarrier start = new CyclicBarrier(2);
        Future<?> lookup =
            racer.submit(
                () -> {
                  start.await();
                  return live.find(copy, "k1");
                });
        start.await();
        KeystoreSnapshot reloaded = keystore.load();
        live.replace(reloaded);
        lookup.get(10, TimeUnit.SECONDS);
        assertThat(reloaded.client(copy)).isEmpty();
        assertThat(live.snapshot().client(copy)).as("trial %d", trial).isEmpty();
        Files.delete(dir.resolve("keys/" + copy + ".keys"));
        Files.delete(dir.resolve("keys/orig-" + trial + ".keys"));
      }
    } finally {
      racer.shutdownNow();
    }
  }

  /** Writes {@code to}'s key file as a copy of {@code from}'s with the id edited. */
  private void copy(String from, String to) throws IOException {
    Path file = dir.resolve("keys/" + to + ".keys");
    Files.deleteIfExists(file);
    KeyFiles.writePrivate(
        file, Files.readString(dir.resolve("keys/" + from + ".keys")).replace(from, to), false);
  }

  @Test
  void anIdThatExistsCostsTheTokenAUse_soOneTokenCannotProbeWhichIdsExist() throws Exception {
    keystore().add("existing");
    String tokenId =
        keystore().enrollmentTokens().create(Duration.ofHours(1), 2, false, null, null).tokenId();
    Verifier verifier = ScramKeys.fromSaltedPassword(RandomSource.secure().bytes(32)).verifier();

    assertThatThrownBy(() -> keystore().enrollmentTokens().enroll(tokenId, "existing", verifier))
        .isInstanceOf(EnrollRefused.class)
        .hasMessageContaining("used the token once");
    assertThat(keystore().enrollmentTokens().read(tokenId).orElseThrow().used()).isEqualTo(1);
    keystore().enrollmentTokens().enroll(tokenId, "new-one", verifier);
    assertThatThrownBy(() -> keystore().enrollmentTokens().enroll(tokenId, "another", verifier))
        .isInstanceOf(EnrollRefused.class)
        .extracting(e -> ((EnrollRefused) e).reason())
        .isEqualTo("token-used");
  }

  @Test
  void idsStartingWithADashAreRefusedSoNoHookOrCommandTakesThemForOptions() throws Exception {
    assertThatThrownBy(() -> keystore().add("--output"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not starting with '.' or '-'");
    String tokenId =
        keystore().enrollmentTokens().create(Duration.ofHours(1), 1, false, null, null).tokenId();
    Verifier verifier = ScramKeys.fromSaltedPassword(RandomSource.secure().bytes(32)).verifier();
    assertThatThrownBy(() -> keystore().enrollmentTokens().enroll(tokenId, "--output", verifier))
        .isInstanceOf(EnrollRefused.class)
        .extracting(e -> ((EnrollRefused) e).reason())
        .isEqualTo("id-not-allowed");
    assertThatThrownBy(
            () ->
                keystore()
                    .enrollmentTokens()
                    .create(Duration.ofHours(1), 1, false, null, "-sensor"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
