package dev.authgate.client.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.authgate.client.connect.Connector;
import dev.authgate.client.connect.HostKeyTrust;
import dev.authgate.client.connect.ServerAddress;
import dev.authgate.client.connect.VerifiedConnection;
import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.server.cli.ServerCliRun;
import dev.authgate.server.testing.TestServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Provisioning, revocation and rotation against a running server that watches its keystore, as an
 * operator does them: with the {@code keys} commands, no restart.
 */
@Tag("system")
class KeyLifecycleTest {
  @TempDir Path dir;
  TestServer server;
  Path keys;

  @BeforeEach
  void start() throws IOException {
    server = TestServer.start(dir.resolve("server")).watchKeys();
    keys = server.keystore().path();
  }

  @AfterEach
  void stop() throws IOException {
    server.close();
  }

  private Path keysCommand(String... args) {
    ServerCliRun run = ServerCliRun.server(args);
    assertThat(run.exit()).as(run.err()).isZero();
    return keys;
  }

  private Path add(String id) {
    Path out = dir.resolve(id + ".credential");
    keysCommand("keys", "add", id, "--keys", keys.toString(), "--out", out.toString());
    return out;
  }

  private VerifiedConnection connect(Path credential) throws IOException {
    return new Connector(
            Credential.load(credential).identity(),
            HostKeyTrust.of(Credential.load(credential)),
            Duration.ofSeconds(10),
            RandomSource.secure())
        .connect(new ServerAddress("127.0.0.1", server.port()));
  }

  private void awaitAccepted(Path credential) {
    Awaitility.await()
        .atMost(Duration.ofSeconds(20))
        .ignoreExceptions()
        .until(
            () -> {
              try (VerifiedConnection connection = connect(credential)) {
                return connection.ping() != null;
              }
            });
  }

  /** Whether {@code credential} is refused now, for {@code reason} as the client is told it. */
  private boolean refused(Path credential, Reason reason) throws IOException {
    try {
      connect(credential).close();
      return false;
    } catch (ProtocolException e) {
      return e.reason() == reason;
    }
  }

  private void awaitRefused(Path credential, Reason reason) {
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> refused(credential, reason));
  }

  @Test
  void aClientAddedWhileRunningGetsInWithoutARestart() throws IOException {
    Path sensor = add("sensor-1");

    awaitAccepted(sensor);
    assertThat(
            server
                .awaitEvent("keys.reloaded", e -> e.path("clients").asInt() == 1)
                .path("ok")
                .asBoolean())
        .isTrue();
  }

  @Test
  void revokingARunningClientRefusesItAndClosesItsOpenSession() throws IOException {
    Path sensor = add("sensor-1");
    Path other = add("sensor-2");
    awaitAccepted(sensor);
    VerifiedConnection open = connect(sensor);
    assertThat(open.ping()).isPositive();

    keysCommand("keys", "revoke", "sensor-1", "--keys", keys.toString());

    // (its proof still verifies, so it is told its key was revoked)
    awaitRefused(sensor, Reason.REVOKED_KEY);
    // (an attempt before the reload saw the file may have been refused otherwise: look for this)
    assertThat(
            server
                .awaitEvent("auth.rejected", e -> e.path("reason").asText().equals("revoked-key"))
                .path("client_id")
                .asText())
        .isEqualTo("sensor-1");
    JsonNode closed =
        server.awaitEvent("session.closed", e -> e.path("outcome").asText().equals("revoked"));
    assertThat(closed.path("client_id").asText()).isEqualTo("sensor-1");
    assertThatThrownBy(open::ping).isInstanceOf(IOException.class).hasMessageContaining("revoked");
    open.close();
    awaitAccepted(other);
  }

  @Test
  void duringTheGracePeriodBothKeysWorkAndAfterItOnlyTheNewOne() throws IOException {
    Path old = add("sensor-1");
    awaitAccepted(old);
    Path fresh = dir.resolve("sensor-1-k2.credential");

    keysCommand(
        "keys",
        "rotate",
        "sensor-1",
        "--keys",
        keys.toString(),
        "--out",
        fresh.toString(),
        "--grace",
        "10s");

    assertThat(Credential.load(fresh).keyId()).isEqualTo("k2");
    try (VerifiedConnection connection = connect(old)) {
      assertThat(connection.ping()).isPositive();
    }
    awaitAccepted(fresh);
    Awaitility.await().atMost(Duration.ofSeconds(40)).until(() -> refused(old, Reason.EXPIRED_KEY));
    assertThat(
            server
                .awaitEvent("auth.rejected", e -> e.path("reason").asText().equals("expired-key"))
                .path("key_id")
                .asText())
        .isEqualTo("k1");
    try (VerifiedConnection connection = connect(fresh)) {
      assertThat(connection.ping()).isPositive();
    }
  }

  @Test
  void aCorruptFileIsReportedAndSkippedWhileEveryOtherKeyKeepsWorking() throws IOException {
    Path sensor = add("sensor-1");
    Path broken = add("sensor-2");
    awaitAccepted(broken);

    Files.writeString(keys.resolve("sensor-2.keys"), "authgate-verifiers 1\ngarbage here\n");

    JsonNode reloaded =
        server.awaitEvent(
            "keys.reloaded", e -> e.path("skipped_files").asText().equals("sensor-2.keys"));
    assertThat(reloaded.path("clients").asInt()).isEqualTo(1);
    awaitRefused(broken, Reason.REFUSED);
    awaitAccepted(sensor);
  }

  @Test
  void ifTheDirectoryCannotBeReadTheLastGoodKeysStayInForce() throws IOException {
    Path sensor = add("sensor-1");
    awaitAccepted(sensor);

    Files.move(keys, dir.resolve("keys-moved-away"));

    JsonNode failed = server.awaitEvent("keys.reloaded", e -> !e.path("ok").asBoolean());
    assertThat(failed.path("error").asText()).contains("kept the last good keys");
    try (VerifiedConnection connection = connect(sensor)) {
      assertThat(connection.ping()).isPositive();
    }
  }
}
