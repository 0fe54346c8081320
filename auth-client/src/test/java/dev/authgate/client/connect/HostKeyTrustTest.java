package dev.authgate.client.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.handshake.ClientHandshake;
import dev.authgate.protocol.identity.HostKey;
import dev.authgate.protocol.identity.HostPublicKey;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.keyfile.KeyFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a client learns from verified servers, and what it never does with its pins. */
class HostKeyTrustTest {
  @TempDir Path dir;

  private static HostPublicKey key() {
    return HostKey.generate(RandomSource.secure()).publicKey();
  }

  private static ClientHandshake.Established welcome(
      HostPublicKey signedBy, List<HostPublicKey> next, List<String> retired) {
    return new ClientHandshake.Established("s", null, signedBy, next, retired, null);
  }

  private Path credential(List<String> pins) throws IOException {
    Path file = dir.resolve("m.credential");
    KeyFiles.writePrivate(
        file, new Credential("m", "k1", RandomSource.secure().bytes(32), pins).format(), true);
    return file;
  }

  private HostKeyTrust trust(Path file, List<String> warnings) throws IOException {
    return HostKeyTrust.file(file, Credential.load(file), false, warnings::add);
  }

  @Test
  void aPinTheOperatorRemovedIsNotWrittenBackByARunningClientThatLearnsANextKey() throws Exception {
    HostPublicKey current = key();
    HostPublicKey suspect = key();
    Path file = credential(List.of(current.fingerprint(), suspect.fingerprint()));
    HostKeyTrust running = trust(file, new ArrayList<>());

    // The operator drops the suspect key while the client runs.
    HostKeyTrust.writePins(file, List.of(current.fingerprint()));
    assertThatThrownBy(() -> running.check(suspect)) // reread at the next connection
        .isInstanceOf(ProtocolException.class);

    HostPublicKey next = key();
    running.check(current);
    running.learned(welcome(current, List.of(next), List.of()));

    assertThat(Credential.load(file).hostKeys())
        .containsExactly(current.fingerprint(), next.fingerprint());
    assertThat(running.pins()).containsExactly(current.fingerprint(), next.fingerprint());
  }

  @Test
  void aFullCredentialLearnsNoMoreAndNeverLosesThePinThatSigns() throws Exception {
    HostPublicKey current = key();
    List<String> pins = new ArrayList<>(List.of(current.fingerprint()));
    for (int i = 1; i < Credential.MAX_HOST_KEYS; i++) {
      pins.add(key().fingerprint());
    }
    Path file = credential(pins);
    HostKeyTrust trust = trust(file, new ArrayList<>());
    List<HostPublicKey> flood = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      flood.add(key());
    }

    trust.learned(welcome(current, flood, List.of(current.fingerprint())));

    assertThat(trust.pins()).isEqualTo(pins);
    assertThat(Credential.load(file).hostKeys()).isEqualTo(pins);
  }

  @Test
  void aCredentialReplacedMeanwhileIsNeverOverwrittenWithTheOldSecret() throws Exception {
    HostPublicKey current = key();
    Path file = credential(List.of(current.fingerprint()));
    HostKeyTrust trust = trust(file, new ArrayList<>());
    trust.check(current);
    // A new credential (new secret) is installed by the operator, then the old session learns.
    Credential installed =
        new Credential("m", "k2", RandomSource.secure().bytes(32), List.of(current.fingerprint()));
    KeyFiles.writePrivate(file, installed.format(), true);

    trust.learned(welcome(current, List.of(key()), List.of()));

    Credential now = Credential.load(file);
    assertThat(now.keyId()).isEqualTo("k2");
    assertThat(now).isEqualTo(installed.withHostKeys(now.hostKeys()));
    assertThat(now.hostKeys()).hasSize(2); // the change applied to the new file's pins
  }

  @Test
  void aLinkedCredentialIsRewrittenWhereItPointsKeepingItsMode() throws Exception {
    HostPublicKey current = key();
    Path real = credential(List.of(current.fingerprint()));
    Path link = Files.createSymbolicLink(dir.resolve("link.credential"), real);
    HostKeyTrust trust = HostKeyTrust.file(link, Credential.load(link), false, w -> {});
    HostPublicKey next = key();

    trust.learned(welcome(current, List.of(next), List.of()));

    assertThat(Files.isSymbolicLink(link)).isTrue();
    assertThat(Credential.load(real).hostKeys())
        .containsExactly(current.fingerprint(), next.fingerprint());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(real)))
        .isEqualTo("rw-------");
  }

  @Test
  void aCredentialThatCannotBeRewrittenIsSaidOnceAndThePinKeptInMemory() throws Exception {
    HostPublicKey current = key();
    Path file = credential(List.of(current.fingerprint()));
    List<String> warnings = new ArrayList<>();
    HostKeyTrust trust = trust(file, warnings);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("r-x------"));
    try {
      HostPublicKey next = key();
      trust.learned(welcome(current, List.of(next), List.of()));
      trust.learned(welcome(current, List.of(key()), List.of()));
      assertThat(trust.pins()).contains(next.fingerprint());
      if (!"root".equals(System.getProperty("user.name"))) { // root writes anyway
        assertThat(warnings).hasSize(1);
        assertThat(warnings.get(0))
            .startsWith("cannot update the host key pins in " + file)
            .endsWith("they are kept for this run only");
        assertThat(Credential.load(file).hostKeys()).containsExactly(current.fingerprint());
      }
    } finally {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }
  }
}
