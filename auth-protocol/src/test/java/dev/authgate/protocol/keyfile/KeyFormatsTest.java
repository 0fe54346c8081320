package dev.authgate.protocol.keyfile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.crypto.ScramKeys;
import dev.authgate.protocol.identity.HostKey;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KeyFormatsTest {
  private static final Path FILE = Path.of("keys/x.keys");
  private final byte[] secret = RandomSource.secure().bytes(32);

  @Test
  void aCredentialRoundTripsThroughItsText() throws KeyFileException {
    Credential credential = new Credential("sensor-1", "k1", secret);
    assertThat(Credential.parse(FILE, credential.format())).isEqualTo(credential);
    assertThat(credential.toString()).isEqualTo("Credential[sensor-1, key k1, secret hidden]");
  }

  @Test
  void aCredentialWithASecondClientIdLineIsRefused() throws KeyFileException {
    Credential credential = new Credential("sensor-1", "k1", RandomSource.secure().bytes(32));
    String appended = credential.format() + "client-id admin\n";

    assertThatThrownBy(() -> Credential.parse(FILE, appended))
        .isInstanceOf(KeyFileException.class)
        .hasMessageContaining("a second 'client-id' line");
  }

  @Test
  void clientKeysRoundTripWithRevocationAndExpiry() throws KeyFileException {
    ScramKeys keys = ScramKeys.fromSaltedPassword(secret);
    Instant t = Instant.parse("2026-11-22T10:00:00Z");
    ClientKeys client =
        new ClientKeys(
            "sensor-1",
            List.of(
                new KeyEntry("k1", t, t.plusSeconds(60), null, keys.verifier()),
                new KeyEntry("k2", t, null, t.plusSeconds(3600), keys.verifier())));

    ClientKeys parsed = ClientKeys.parse(FILE, client.format());

    assertThat(parsed.clientId()).isEqualTo("sensor-1");
    assertThat(parsed.key("k1").orElseThrow().revoked()).isEqualTo(t.plusSeconds(60));
    assertThat(parsed.key("k2").orElseThrow().expires()).isEqualTo(t.plusSeconds(3600));
    assertThat(parsed.format()).isEqualTo(client.format());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "wrong magic | something 1\\nclient-id a | is not an authgate file",
        "unknown field | authgate-credential 1\\nclient-id a\\ncolour red | :3: unknown field 'colour'",
        "missing secret | authgate-credential 1\\nclient-id a\\nkey-id k1 | is incomplete",
        "bad id | authgate-credential 1\\nclient-id a/b | :2: client-id must be",
        "no value | authgate-credential 1\\nclient-id | :2: expected 'name value'",
        "bad base64 | authgate-credential 1\\nsecret %%% | :2: secret is not valid base64",
      })
  void malformedCredentialsNameTheFileAndLine(String name, String text, String message) {
    assertThatThrownBy(() -> Credential.parse(FILE, text.replace("\\n", "\n")))
        .isInstanceOf(KeyFileException.class)
        .hasMessageContaining(message)
        .hasMessageStartingWith("keys/x.keys");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "duplicate key | key k1 created=2026-01-01T00:00:00Z stored-key=S server-key=S\\n"
            + "key k1 created=2026-01-01T00:00:00Z stored-key=S server-key=S | appears twice",
        "unknown attribute | key k1 colour=red | unknown key attribute 'colour'",
        "missing server key | key k1 created=2026-01-01T00:00:00Z stored-key=S | needs stored-key=",
        "bad instant | key k1 created=yesterday stored-key=S server-key=S | created is not",
        "missing created | key k1 stored-key=S server-key=S | needs created=",
      })
  void malformedVerifierFilesNameTheLine(String name, String keyLines, String message) {
    String key = java.util.Base64.getEncoder().encodeToString(new byte[32]);
    String text =
        "authgate-verifiers 1\nclient-id a\n"
            + keyLines.replace("\\n", "\n").replace("=S", "=" + key);
    assertThatThrownBy(() -> ClientKeys.parse(FILE, text))
        .isInstanceOf(KeyFileException.class)
        .hasMessageContaining(message);
  }

  @Test
  void idsMayNotBeDotsOrStartWithADot() {
    assertThat(ClientIds.isValid(".")).isFalse();
    assertThat(ClientIds.isValid("..")).isFalse();
    assertThat(ClientIds.isValid(".x")).isFalse();
    assertThat(ClientIds.isValid("x.")).isTrue();
    assertThat(ClientIds.isValid("sensor-1.eu")).isTrue();
    assertThat(ClientIds.isValid("_x")).isTrue();
  }

  @Test
  void printableEscapesControlCharactersAndCutsLongIds() {
    assertThat(ClientIds.printable("a\r\nb\u009b\u202e"))
        .isEqualTo("a\\u000d\\u000ab\\u009b\\u202e");
    assertThat(ClientIds.printable("x".repeat(70))).isEqualTo("x".repeat(64) + "...");
  }

  private static final String PIN_A =
      HostKey.generate(RandomSource.secure()).publicKey().fingerprint();
  private static final String PIN_B =
      HostKey.generate(RandomSource.secure()).publicKey().fingerprint();

  @Test
  void aCredentialCarriesItsHostKeyPinsThroughTheFileInOrder() throws KeyFileException {
    Credential pinned =
        new Credential("sensor-1", "k2", RandomSource.secure().bytes(32), List.of(PIN_A, PIN_B));
    String text = pinned.format();
    assertThat(text).contains("host-key " + PIN_A + "\nhost-key " + PIN_B + "\n");
    Credential parsed = Credential.parse(Path.of("c"), text);
    assertThat(parsed).isEqualTo(pinned);
    assertThat(parsed.hostKeys()).containsExactly(PIN_A, PIN_B);
    assertThat(parsed.withHostKeys(List.of(PIN_B)).hostKeys()).containsExactly(PIN_B);
  }

  @Test
  void aCredentialWithABadOrRepeatedHostKeyLineIsRefusedNamingTheLine() {
    String base = new Credential("sensor-1", "k1", new byte[32]).format();
    for (String bad :
        List.of(
            "host-key SHA256:short\n",
            "host-key " + PIN_A + " extra\n",
            "host-key " + PIN_A + "\nhost-key " + PIN_A + "\n")) {
      assertThatThrownBy(() -> Credential.parse(Path.of("c"), base + bad))
          .isInstanceOf(KeyFileException.class)
          .hasMessageContaining("c:")
          .hasMessageContaining("host-key line");
    }
  }

  @Test
  void aTokenCarriesTheHostKeyPinAndAnOldTokenParsesWithoutOne() {
    EnrollmentToken token = EnrollmentToken.generate(RandomSource.secure()).withHostKey(PIN_A);
    assertThat(token.text()).matches("agt2-[0-9a-f]{16}-[A-Za-z0-9_-]{43}-[A-Za-z0-9_-]{43}");
    assertThat(EnrollmentToken.parse(token.text())).isEqualTo(token);
    assertThat(EnrollmentToken.parse(token.text()).hostKey()).isEqualTo(PIN_A);

    EnrollmentToken old = EnrollmentToken.generate(RandomSource.secure());
    assertThat(old.text()).startsWith("agt1-");
    assertThat(EnrollmentToken.parse(old.text()).hostKey()).isNull();

    // A pin on an agt1 token, or none on an agt2 token, is not a token.
    String pinPart = token.text().substring(token.text().lastIndexOf('-'));
    assertThatThrownBy(() -> EnrollmentToken.parse(old.text() + pinPart))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> EnrollmentToken.parse("agt2" + old.text().substring(4)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aHostKeyFileKeepsItsRetiredFingerprints() throws KeyFileException {
    HostKeyFile file =
        new HostKeyFile(
            HostKey.generate(RandomSource.secure()),
            Instant.parse("2026-12-07T00:00:00Z"),
            List.of(PIN_A));
    HostKeyFile parsed = HostKeyFile.parse(Path.of("host.key"), file.format());
    assertThat(parsed.retired()).containsExactly(PIN_A);
    assertThat(parsed.key()).isEqualTo(file.key());
  }
}
