package dev.authgate.client.cli;

import static dev.authgate.client.cli.SelfRotationTest.ping;
import static dev.authgate.client.cli.SelfRotationTest.provisionDue;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.authgate.client.connect.Connector;
import dev.authgate.client.connect.HostKeyTrust;
import dev.authgate.client.connect.ServerAddress;
import dev.authgate.client.connect.VerifiedConnection;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.frame.Frame;
import dev.authgate.protocol.frame.FrameCodec;
import dev.authgate.protocol.handshake.ClientHandshake;
import dev.authgate.protocol.keyfile.ClientKeys;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.keyfile.KeyFiles;
import dev.authgate.protocol.session.SessionMessage;
import dev.authgate.server.connection.ServerConfig;
import dev.authgate.server.testing.RedisProcess;
import dev.authgate.server.testing.TestServer;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Self-rotation and clone locks on two servers sharing a keystore and a real redis-server. Neither
 * server watches the directory here, so what each learns from the other comes from the cluster link
 * or from rereading a client's file at its login — never from a poll.
 */
@Tag("system")
class SelfRotationClusterTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir Path dir;
  private RedisProcess redis;
  private TestServer a;
  private TestServer b;

  @BeforeEach
  void start() throws IOException {
    redis = RedisProcess.start(dir.resolve("redis"));
    a = server("a");
    b = server("b");
    await().atMost(WAIT).until(() -> a.cluster().connected() && b.cluster().connected());
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {a, b, redis}) {
      if (c != null) {
        c.close();
      }
    }
  }

  private TestServer server(String name) throws IOException {
    return TestServer.clustered(
        dir.resolve(name),
        dir.resolve("keys"),
        ServerConfig.loopback(0, dir.resolve(name).resolve("uploads")).withServerId(name),
        redis.target());
  }

  private static VerifiedConnection session(TestServer server, Credential credential)
      throws IOException {
    return new Connector(
            credential.identity(),
            HostKeyTrust.of(credential),
            Duration.ofSeconds(10),
            RandomSource.secure())
        .connect(ServerAddress.parse(server.hostPort()));
  }

  @Test
  void aLockOnOneServerEndsTheClientsSessionsOnTheOtherAtOnce() throws Exception {
    Path original = provisionDue(a, "m1", Duration.ofDays(30));
    b.reloadKeys();
    Path copy = dir.resolve("copy.credential");
    Files.copy(original, copy);
    assertThat(ping(a, original).exit()).isZero(); // rotates, on a
    assertThat(ping(b, original).exit()).isZero(); // the new key's first login, on b

    try (VerifiedConnection onB = session(b, Credential.load(original))) {
      assertThat(onB.ping()).isNotNull();

      CliRun theCopy = ping(a, copy); // the replaced key, on a: a locks m1

      assertThat(theCopy.exit()).as(theCopy.err()).isEqualTo(3);
      // b never polls here: only the cluster link can end this session.
      assertThat(catchThrowable(() -> onB.awaitMessage(SessionMessage.Pong.class)))
          .hasMessageContaining("locked");
    }
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(b.events("session.closed"))
                    .extracting(e -> e.path("outcome").asText())
                    .contains("clone-suspected"));
    assertThat(ping(b, original).exit()).isEqualTo(3);
  }

  @Test
  void theOldKeyOnOneServerWhileTheNewKeyIsFirstUsedOnTheOther_isLetIn_notLocked()
      throws Exception {
    Path credential = provisionDue(a, "m2", Duration.ofDays(30));
    b.reloadKeys();
    Credential k1 = Credential.load(credential);
    try (Socket socket = new Socket("127.0.0.1", a.port())) {
      socket.setSoTimeout(10_000);
      BufferedInputStream in = new BufferedInputStream(socket.getInputStream());
      Frame hello = FrameCodec.read(in, FrameCodec.PRE_AUTH_MAX_PAYLOAD);
      // HELLO from a arrived and this process read k1; meanwhile another process of the machine
      // rotates on b and logs in there with the new key.
      assertThat(ping(b, credential).exit()).isZero();
      assertThat(ping(b, credential).exit()).isZero();
      ClientHandshake handshake =
          new ClientHandshake(
              k1.identity(),
              presented -> HostKeyTrust.of(k1).check(presented),
              RandomSource.secure());
      socket.getOutputStream().write(handshake.onHello(hello));

      ClientHandshake.Established established =
          handshake.onWelcome(FrameCodec.read(in, FrameCodec.PRE_AUTH_MAX_PAYLOAD));

      assertThat(established.rotation()).isNull();
    }
    Path file = a.keystore().path().resolve(ClientKeys.fileName("m2"));
    assertThat(ClientKeys.parse(file, KeyFiles.readPrivate(file)).locked()).isNull();
    assertThat(a.events("auth.clone-suspected")).isEmpty();
    assertThat(b.events("auth.clone-suspected")).isEmpty();

    // k1 in a connection whose HELLO came after that first login, on a: a copy.
    Path copy = dir.resolve("copy2.credential");
    KeyFiles.writePrivate(copy, k1.format(), true);
    assertThat(ping(a, copy).exit()).isEqualTo(3);
    assertThat(a.awaitEvent("auth.clone-suspected").path("successor_used_from").asText())
        .startsWith("127.0.0.1:");
  }
}
