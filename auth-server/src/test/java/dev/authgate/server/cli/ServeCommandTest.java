package dev.authgate.server.cli;

import static dev.authgate.server.cli.ServerCliRun.server;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ways {@code serve} refuses to start: one line and exit 1, never a stack trace. */
class ServeCommandTest {
  @TempDir Path dir;

  private Path keystore() throws IOException {
    Path keys = dir.resolve("keys");
    server(
        "keys",
        "add",
        "sensor-1",
        "--keys",
        keys.toString(),
        "--out",
        dir.resolve("s.credential").toString());
    return keys;
  }

  @Test
  void aConfigFileWithAMalformedEscapeIsOneClearLineNotAStackTrace() throws IOException {
    Path config = Files.writeString(dir.resolve("bad.properties"), "port=\\u12G4\n");

    ServerCliRun run = server("serve", "--config", config.toString());

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err())
        .isEqualTo(
            "auth-server: cannot read --config "
                + config
                + ": malformed file: Malformed \\uxxxx encoding.\n");
  }

  @Test
  void aPortInUseNamesTheAddress() throws IOException {
    Path keys = keystore();
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      ServerCliRun run =
          server(
              "serve",
              "--port",
              "" + taken.getLocalPort(),
              "--keys",
              keys.toString(),
              "--audit-log",
              dir.resolve("audit.jsonl").toString());

      assertThat(run.exit()).isEqualTo(1);
      assertThat(run.err())
          .isEqualTo(
              "auth-server: cannot listen on 127.0.0.1:"
                  + taken.getLocalPort()
                  + ": address already in use\n");
      assertThat(run.out()).isEmpty();
    }
  }

  @Test
  void withVerboseTheStackTraceIsShownToo() throws IOException {
    Path keys = keystore();
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      ServerCliRun run =
          server(
              "serve",
              "--port",
              "" + taken.getLocalPort(),
              "--keys",
              keys.toString(),
              "--audit-log",
              dir.resolve("audit.jsonl").toString(),
              "--verbose");

      assertThat(run.err()).contains("\tat ");
    }
  }

  @Test
  void aMissingKeystoreDirectorySaysHowToCreateIt() {
    ServerCliRun run = server("serve", "--port", "0", "--keys", dir.resolve("none").toString());

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err())
        .isEqualTo(
            "auth-server: keystore directory "
                + dir.resolve("none")
                + " does not exist; create it by provisioning a client: auth-server keys add ID --keys "
                + dir.resolve("none")
                + "\n");
  }

  @Test
  void aKeystoreDirectoryWritableByOthersIsRefused() throws IOException {
    Path keys = keystore();
    Files.setPosixFilePermissions(keys, PosixFilePermissions.fromString("rwxrwxrwx"));

    ServerCliRun run = server("serve", "--port", "0", "--keys", keys.toString());

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).contains("accessible by group or others; run: chmod 700 " + keys);
  }

  @Test
  void aBadDurationIsAUsageError() throws IOException {
    ServerCliRun run =
        server("serve", "--keys", keystore().toString(), "--handshake-timeout", "soon");

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).contains("'soon' is not a duration");
  }
}
