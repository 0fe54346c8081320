package dev.authgate.server.cli;

import static dev.authgate.server.cli.ServerCliRun.server;
import static org.assertj.core.api.Assertions.assertThat;

import dev.authgate.protocol.keyfile.EnrollmentToken;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code keys token create|list|revoke}: a token is shown once and only its verifier is kept. */
class KeysTokenTest {
  @TempDir Path dir;

  /** {@code args} with the test's keystore, and its audit log for commands that write one. */
  private ServerCliRun keys(String... args) {
    boolean lists = args[args.length - 1].equals("list") || args[args.length - 1].equals("--json");
    java.util.List<String> all = new java.util.ArrayList<>(java.util.List.of(args));
    all.addAll(java.util.List.of("--keys", dir.resolve("keys").toString()));
    if (!lists) {
      all.addAll(java.util.List.of("--audit-log", dir.resolve("audit.jsonl").toString()));
    }
    return server(all.toArray(String[]::new));
  }

  @Test
  void createPrintsTheTokenOnceOnStdoutAndKeepsOnlyItsVerifier() throws IOException {
    ServerCliRun created = keys("keys", "token", "create", "--prefix", "sensor-", "--uses", "5");

    assertThat(created.exit()).as(created.err()).isZero();
    EnrollmentToken token = EnrollmentToken.parse(created.out());
    assertThat(created.err())
        .startsWith(
            "token " + token.tokenId() + " enrolls ids starting with 'sensor-', 5 times until ");
    Path file = dir.resolve("keys/tokens/" + token.tokenId() + ".token");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    // The secret is base64url, which has '-' in it: take it from the parsed token, not by position.
    String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(token.secret());
    assertThat(created.out()).contains(secret);
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        assertThat(Files.readString(f)).as(f.toString()).doesNotContain(secret);
      }
    }
    assertThat(Files.readString(dir.resolve("audit.jsonl")))
        .contains("\"event\":\"enroll.token_created\",\"token_id\":\"" + token.tokenId() + "\"");
  }

  @Test
  void listShowsStateUsesAndWhatItEnrolls_revokeStopsIt() {
    String id =
        EnrollmentToken.parse(keys("keys", "token", "create", "--id", "kiosk-1", "--approve").out())
            .tokenId();

    ServerCliRun list = keys("keys", "token", "list");
    assertThat(list.out().lines().toList().getFirst())
        .matches("TOKEN +STATE +USED +EXPIRES +ENROLLS +APPROVE");
    assertThat(list.out()).containsPattern(id + " +usable +0/1 +\\S+Z +kiosk-1 +true");

    assertThat(keys("keys", "token", "revoke", id).exit()).isZero();
    assertThat(keys("keys", "token", "list", "--json").out())
        .contains("\"token_id\":\"" + id + "\",\"state\":\"revoked\"");
  }

  @Test
  void badRequestsAreOneLineErrors() {
    assertThat(keys("keys", "token", "create", "--id", "a", "--prefix", "b").err())
        .startsWith("auth-server: give --id or --prefix, not both");
    assertThat(keys("keys", "token", "create", "--uses", "0").exit()).isEqualTo(2);
    assertThat(keys("keys", "token", "create", "--prefix", "../x").err())
        .contains("--prefix must be the start of a client id");
    assertThat(keys("keys", "token", "revoke", "nothex").err()).contains("16 hex digits");
    assertThat(keys("keys", "token", "revoke", "0123456789abcdef").exit()).isEqualTo(1);
    assertThat(keys("keys", "approve", "nobody").exit()).isEqualTo(1);
  }

  @Test
  void aTokenForAnIdThatExistsIsRefused() {
    server(
        "keys",
        "add",
        "taken",
        "--keys",
        dir.resolve("keys").toString(),
        "--out",
        dir.resolve("taken.credential").toString());

    ServerCliRun run = keys("keys", "token", "create", "--id", "taken");

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).contains("client 'taken' already exists");
  }
}
