package dev.authgate.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.authgate.protocol.crypto.ScramKeys;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.keyfile.KeyFiles;
import dev.authgate.server.cli.ServerCliRun;
import dev.authgate.server.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs a whole provisioning, serving and pinging session, good and bad, and then searches
 * everything it wrote — command output, logs, audit log, keystore — for the secret and for
 * ClientKey (which is as good as the secret for logging in), in hex and base64.
 */
class NoSecretLeaksTest {
  @TempDir Path dir;

  @Test
  void theSecretNeverAppearsInAnyOutputLogAuditOrKeystoreFile() throws IOException {
    List<String> written = new ArrayList<>();
    PrintStream originalErr = System.err;
    ByteArrayOutputStream logs = new ByteArrayOutputStream();
    System.setErr(new PrintStream(logs, true, StandardCharsets.UTF_8));
    Path credentialFile = dir.resolve("sensor-9.credential");
    try (TestServer server = TestServer.start(dir.resolve("server"))) {
      Path keys = server.keystore().path();
      ServerCliRun add =
          ServerCliRun.server(
              "keys",
              "add",
              "sensor-9",
              "--keys",
              keys.toString(),
              "--out",
              credentialFile.toString());
      ServerCliRun list = ServerCliRun.server("keys", "list", "--keys", keys.toString());
      server.reloadKeys();
      Credential credential = Credential.load(credentialFile);
      Path wrong = dir.resolve("wrong.credential");
      KeyFiles.writePrivate(
          wrong,
          Files.readString(credentialFile)
              .replaceAll(
                  "secret \\S+", "secret " + Base64.getEncoder().encodeToString(new byte[32])),
          false);

      CliRun good =
          CliRun.client(
              "ping",
              "--server",
              server.hostPort(),
              "--key",
              credentialFile.toString(),
              "--verbose");
      CliRun bad =
          CliRun.client(
              "ping", "--server", server.hostPort(), "--key", wrong.toString(), "--verbose");
      server.awaitEvent("auth.rejected");
      assertThat(good.exit()).isZero();
      assertThat(bad.exit()).isEqualTo(3);
      Stream.of(add, list).forEach(r -> written.addAll(List.of(r.out(), r.err())));
      Stream.of(good, bad).forEach(r -> written.addAll(List.of(r.out(), r.err())));
      written.add(Files.readString(server.auditFile()));
      try (Stream<Path> files = Files.list(keys)) {
        for (Path file : files.toList()) {
          written.add(Files.readString(file));
        }
      }
      written.add(credential.toString());
      written.add(credential.scramKeys().toString());
      written.add(credential.scramKeys().verifier().toString());

      List<String> forbidden = forbiddenStrings(credentialFile);
      written.add(logs.toString(StandardCharsets.UTF_8));
      for (String text : written) {
        for (String secret : forbidden) {
          assertThat(text).doesNotContain(secret);
        }
      }
      assertThat(String.join("\n", written)).contains("sensor-9");
    } finally {
      System.setErr(originalErr);
    }
  }

  private static List<String> forbiddenStrings(Path credentialFile) throws IOException {
    String text = Files.readString(credentialFile);
    byte[] secret = Base64.getDecoder().decode(text.replaceAll("(?s).*\nsecret (\\S+)\n.*", "$1"));
    byte[] clientKey = ScramKeys.fromSaltedPassword(secret).clientKey();
    List<String> forbidden = new ArrayList<>();
    for (byte[] value : List.of(secret, clientKey)) {
      String hex = HexFormat.of().formatHex(value);
      forbidden.add(hex);
      forbidden.add(hex.toUpperCase(Locale.ROOT));
      forbidden.add(Base64.getEncoder().encodeToString(value));
      forbidden.add(Base64.getUrlEncoder().withoutPadding().encodeToString(value));
    }
    return forbidden;
  }
}
