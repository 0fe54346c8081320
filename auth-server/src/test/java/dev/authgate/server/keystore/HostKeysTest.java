package dev.authgate.server.keystore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.identity.HostKey;
import dev.authgate.protocol.keyfile.HostKeyFile;
import dev.authgate.protocol.keyfile.KeyFileException;
import dev.authgate.protocol.keyfile.KeyFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the server's host key comes from, and that it is made once and never replaced. */
class HostKeysTest {
  @TempDir Path dir;

  private HostKeys hostKeys(Map<String, String> env) {
    return new HostKeys(dir.resolve("keys"), env, Clock.systemUTC(), RandomSource.secure());
  }

  @Test
  void theFirstLookMakesAPrivateKeyFileAndEveryLaterOneReadsTheSameKey() throws IOException {
    HostKeys.Loaded made = hostKeys(Map.of()).loadOrCreate();
    HostKeys.Loaded again = hostKeys(Map.of()).loadOrCreate();

    assertThat(made.created()).isTrue();
    assertThat(again.created()).isFalse();
    assertThat(again.fingerprint()).isEqualTo(made.fingerprint()).startsWith("SHA256:");
    Path file = dir.resolve("keys/host.key");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    assertThat(hostKeys(Map.of()).load().fingerprint()).isEqualTo(made.fingerprint());
  }

  @Test
  void aSystemdCredentialIsUsedInsteadAndNothingIsWritten() throws IOException {
    Path credentials = Files.createDirectories(dir.resolve("credentials"));
    HostKeyFile key = new HostKeyFile(HostKey.generate(RandomSource.secure()), Instant.now());
    KeyFiles.writePrivate(credentials.resolve(HostKeys.CREDENTIAL_NAME), key.format(), false);
    Map<String, String> env = Map.of("CREDENTIALS_DIRECTORY", credentials.toString());

    HostKeys.Loaded loaded = hostKeys(env).loadOrCreate();

    assertThat(loaded.fingerprint()).isEqualTo(key.key().publicKey().fingerprint());
    assertThat(loaded.from()).isEqualTo(credentials.resolve(HostKeys.CREDENTIAL_NAME));
    assertThat(dir.resolve("keys/host.key")).doesNotExist();
  }

  @Test
  void aKeyFileThatIsALinkOpenToOthersOrEditedIsRefusedNamingTheFix() throws IOException {
    HostKeys.Loaded made = hostKeys(Map.of()).loadOrCreate();
    Path file = made.from();

    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    assertThatThrownBy(() -> hostKeys(Map.of()).loadOrCreate())
        .isInstanceOf(KeyFileException.class)
        .hasMessageContaining("chmod 600 " + file);

    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    String text = Files.readString(file);
    String otherPublic =
        java.util.Base64.getEncoder()
            .encodeToString(HostKey.generate(RandomSource.secure()).publicKey().bytes());
    Files.writeString(file, text.replaceAll("(?m)^public-key .*$", "public-key " + otherPublic));
    assertThatThrownBy(() -> hostKeys(Map.of()).load())
        .isInstanceOf(KeyFileException.class)
        .hasMessageContaining("is not the private key's")
        .message()
        .doesNotContain(text.replaceAll("(?s).*private-key (\\S+).*", "$1"));

    Files.delete(file);
    Path elsewhere = dir.resolve("elsewhere.key");
    KeyFiles.writePrivate(elsewhere, text, false);
    Files.createSymbolicLink(file, elsewhere);
    assertThatThrownBy(() -> hostKeys(Map.of()).loadOrCreate())
        .isInstanceOf(KeyFileException.class)
        .hasMessageContaining("symbolic link");
  }

  @Test
  void withoutAKeyLoadSaysHowToMakeOne() {
    assertThatThrownBy(() -> hostKeys(Map.of()).load())
        .isInstanceOf(KeyFileException.class)
        .hasMessageContaining("auth-server keys init --keys " + dir.resolve("keys"));
  }

  @Test
  void withCredentialsServeWritesHostPubAndAShellWithoutThemPinsItAndMakesNoKeyOfItsOwn()
      throws IOException {
    Path credentials = Files.createDirectories(dir.resolve("credentials"));
    HostKeyFile key = new HostKeyFile(HostKey.generate(RandomSource.secure()), Instant.now());
    HostKeyFile next = new HostKeyFile(HostKey.generate(RandomSource.secure()), Instant.now());
    KeyFiles.writePrivate(credentials.resolve(HostKeys.CREDENTIAL_NAME), key.format(), false);
    KeyFiles.writePrivate(credentials.resolve(HostKeys.NEXT_CREDENTIAL_NAME), next.format(), false);
    KeyFiles.ensurePrivateDirectory(dir.resolve("keys"));
    Map<String, String> service = Map.of("CREDENTIALS_DIRECTORY", credentials.toString());

    LiveHostKeys serving = LiveHostKeys.load(hostKeys(service)); // as serve does
    java.util.List<String> pins =
        java.util.List.of(
            key.key().publicKey().fingerprint(), next.key().publicKey().fingerprint());
    assertThat(serving.get().pins()).isEqualTo(pins);
    assertThat(dir.resolve("keys/host.pub")).isRegularFile();

    // An operator's shell: no $CREDENTIALS_DIRECTORY.
    HostKeys shell = hostKeys(Map.of());
    assertThat(shell.pins()).isEqualTo(pins);
    assertThatThrownBy(shell::loadOrCreate)
        .isInstanceOf(KeyFileException.class)
        .hasMessageContaining("is a systemd credential")
        .hasMessageContaining(key.key().publicKey().fingerprint());
    assertThat(dir.resolve("keys/host.key")).doesNotExist();
    KeystoreDirectory keystore =
        new KeystoreDirectory(dir.resolve("keys"), Clock.systemUTC(), RandomSource.secure());
    assertThat(keystore.add("sensor-1").hostKeys()).isEqualTo(pins);
    assertThat(
            keystore
                .enrollmentTokens()
                .create(java.time.Duration.ofHours(1), 1, false, "m", null)
                .hostKey())
        .isEqualTo(key.key().publicKey().fingerprint());
  }

  @Test
  void aRetiredListNeverNamesTheKeyThatSignsOrTheNextOne() throws IOException {
    HostKeys keys = hostKeys(Map.of());
    HostKeys.Loaded first = keys.loadOrCreate();
    keys.rotate();
    String second = keys.retire().current().key().publicKey().fingerprint();
    assertThat(keys.loadSet().retired()).containsExactly(first.fingerprint());
    // A rollback by hand: the first key's file put back as the next key, then retired into.
    KeyFiles.writePrivate(
        dir.resolve("keys/host-next.key"),
        new HostKeyFile(first.file().key(), first.file().created()).format(),
        false);
    assertThat(keys.loadSet().retired()).isEmpty(); // announced as next, not as retired
    HostKeys.Retired back = keys.retire();
    assertThat(back.current().key()).isEqualTo(first.file().key());
    assertThat(keys.loadSet().retired()).containsExactly(second);
  }
}
