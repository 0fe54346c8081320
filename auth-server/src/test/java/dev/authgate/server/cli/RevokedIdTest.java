package dev.authgate.server.cli;

import static dev.authgate.server.cli.ServerCliRun.server;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.keyfile.KeyFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A revoked id stays refused until an operator reinstates it on purpose: {@code add} and {@code
 * rotate} refuse it and say what to run, and {@code keys reinstate} is the one, audited, way back.
 */
class RevokedIdTest {
  @TempDir Path dir;

  private Path keys() {
    return dir.resolve("keys");
  }

  private Path audit() {
    return dir.resolve("logs/audit.jsonl");
  }

  private ServerCliRun keysCommand(String... args) {
    List<String> all = new java.util.ArrayList<>(List.of("keys"));
    all.addAll(List.of(args));
    all.addAll(List.of("--keys", keys().toString()));
    return server(all.toArray(String[]::new));
  }

  private ServerCliRun reinstate(String id, String credential) {
    return keysCommand(
        "reinstate",
        id,
        "--out",
        dir.resolve(credential).toString(),
        "--audit-log",
        audit().toString());
  }

  @BeforeEach
  void provisionAndRevoke() {
    assertThat(
            keysCommand("add", "sensor-2", "--out", dir.resolve("old.credential").toString())
                .exit())
        .isZero();
    assertThat(keysCommand("revoke", "sensor-2").exit()).isZero();
  }

  @Test
  void rotatingARevokedClientIsRefusedAndChangesNothing() throws IOException {
    String before = KeyFiles.readPrivate(keys().resolve("sensor-2.keys"));
    ServerCliRun run =
        keysCommand("rotate", "sensor-2", "--out", dir.resolve("new.credential").toString());

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err())
        .isEqualTo(
            "auth-server: client 'sensor-2' is revoked, so rotating would let it in again; to let"
                + " this id in again on purpose, run: auth-server keys reinstate sensor-2"
                + " (audited)\n");
    assertThat(KeyFiles.readPrivate(keys().resolve("sensor-2.keys"))).isEqualTo(before);
    assertThat(dir.resolve("new.credential")).doesNotExist();
  }

  @Test
  void theRevocationIsWhatAnOperatorHearsFirstEvenWhenTheCredentialFileExists() {
    // old.credential exists: "already exists" would hide the real reason.
    String oldFile = dir.resolve("old.credential").toString();
    assertThat(keysCommand("rotate", "sensor-2", "--out", oldFile).err())
        .contains("client 'sensor-2' is revoked, so rotating would let it in again");
    assertThat(keysCommand("add", "sensor-2", "--out", oldFile).err())
        .contains("client 'sensor-2' is revoked, so it cannot be added again");
  }

  @Test
  void addingARevokedIdAgainSaysHowToReinstateIt() {
    ServerCliRun run =
        keysCommand("add", "sensor-2", "--out", dir.resolve("new.credential").toString());

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err())
        .contains("client 'sensor-2' is revoked, so it cannot be added again")
        .contains("auth-server keys reinstate sensor-2");
    assertThat(dir.resolve("new.credential")).doesNotExist();
  }

  @Test
  void reinstatingGivesANewKeyKeepsTheOldOnesRevokedAndIsAudited() throws IOException {
    ServerCliRun run = reinstate("sensor-2", "new.credential");

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.err()).startsWith("reinstated client 'sensor-2' with new key k2 (SHA256:");
    Credential fresh = Credential.load(dir.resolve("new.credential"));
    assertThat(fresh.keyId()).isEqualTo("k2");
    String keysFile = KeyFiles.readPrivate(keys().resolve("sensor-2.keys"));
    assertThat(keysFile).containsPattern("key k1 [^\\n]*revoked=").contains("key k2 ");
    assertThat(keysFile.lines().filter(l -> l.startsWith("key k2")).findFirst().orElseThrow())
        .doesNotContain("revoked=");

    JsonNode event = new ObjectMapper().readTree(Files.readAllLines(audit()).getLast());
    assertThat(event.path("event").asText()).isEqualTo("keys.reinstated");
    assertThat(event.path("client_id").asText()).isEqualTo("sensor-2");
    assertThat(event.path("key_id").asText()).isEqualTo("k2");
    assertThat(event.path("fingerprint").asText())
        .isEqualTo(fresh.scramKeys().verifier().fingerprint());
    String secret =
        Files.readString(dir.resolve("new.credential"))
            .replaceAll("(?s).*\nsecret (\\S+)\n.*", "$1");
    assertThat(Base64.getDecoder().decode(secret)).hasSize(32);
    assertThat(Files.readString(audit())).doesNotContain(secret);

    // Reinstated, it is an ordinary client again: rotate works, reinstate does not.
    assertThat(
            keysCommand("rotate", "sensor-2", "--out", dir.resolve("k3.credential").toString())
                .exit())
        .isZero();
  }

  @Test
  void reinstatingAClientThatIsNotRevokedIsRefused() {
    assertThat(
            keysCommand("add", "sensor-3", "--out", dir.resolve("s3.credential").toString()).exit())
        .isZero();
    ServerCliRun run = reinstate("sensor-3", "x.credential");

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err())
        .isEqualTo(
            "auth-server: client 'sensor-3' is not revoked; give it a new key with 'keys rotate"
                + " sensor-3'\n");
    assertThat(dir.resolve("x.credential")).doesNotExist();
  }

  @Test
  void aReinstatementThatCannotBeAuditedDoesNotHappen() throws IOException {
    Path blocked = dir.resolve("not-a-dir");
    Files.writeString(blocked, "a file where the log's directory should be");
    String before = KeyFiles.readPrivate(keys().resolve("sensor-2.keys"));
    ServerCliRun run =
        keysCommand(
            "reinstate",
            "sensor-2",
            "--out",
            dir.resolve("new.credential").toString(),
            "--audit-log",
            blocked.resolve("audit.jsonl").toString());

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).startsWith("auth-server: cannot open audit log");
    assertThat(KeyFiles.readPrivate(keys().resolve("sensor-2.keys"))).isEqualTo(before);
    assertThat(dir.resolve("new.credential")).doesNotExist();
  }
}
