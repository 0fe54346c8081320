package dev.authgate.server.connection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.frame.FrameType;
import dev.authgate.protocol.handshake.ClientHandshake;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.session.SecureChannel;
import dev.authgate.protocol.session.SessionMessage;
import dev.authgate.server.testing.NonReader;
import dev.authgate.server.testing.RawClient;
import dev.authgate.server.testing.TestServer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No peer can stall the server: a verified client that never reads must not hold up revocation of
 * others, its own revocation, the write deadline or shutdown. The write deadlines here are short
 * because these tests are about them; the waits for other outcomes are generous.
 */
@SuppressWarnings("try") // the non-reader only needs to exist, and be closed, during each test
@Tag("system")
class LivenessTest {
  private static final Duration RELOAD_INTERVAL = Duration.ofMillis(100);

  @TempDir Path dir;

  private TestServer start(Duration writeTimeout) throws IOException {
    ServerConfig config =
        ServerConfig.loopback(0, dir.resolve("uploads"))
            .withSessions(new SessionLimits(100, 100, writeTimeout));
    return TestServer.start(dir, config).watchKeys();
  }

  @Test
  void aClientThatNeverReadsCannotFreezeRevocationOfAnother() throws Exception {
    try (TestServer server = start(Duration.ofMinutes(5))) {
      Credential stuck = server.provision("stuck");
      Credential other = server.provision("other");
      try (NonReader nonReader = NonReader.connect(server.port(), stuck).awaitServerStuck();
          RawClient otherClient = RawClient.connect(server.port())) {
        SecureChannel otherChannel = otherClient.handshake(other.identity());
        int reloadsBefore = server.events("keys.reloaded").size();

        server.keystore().revoke("stuck");
        awaitReloads(server, reloadsBefore + 1);
        long start = System.nanoTime();
        server.keystore().revoke("other");
        SessionMessage heard = otherChannel.receive();
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(heard)
            .isEqualTo(
                new SessionMessage.Close(
                    SessionMessage.Close.REVOKED, "this client's key was revoked"));
        assertThat(took).isLessThan(RELOAD_INTERVAL.plusSeconds(2));
        awaitReloads(server, reloadsBefore + 2);
        server.keystore().add("third");
        awaitReloads(server, reloadsBefore + 3);
      }
    }
  }

  private static void awaitReloads(TestServer server, int count) {
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> server.events("keys.reloaded").size() >= count);
  }

  @Test
  void revokingAClientThatNeverReadsEndsItsSessionWithinTheWriteDeadline() throws Exception {
    // Long enough that a busy machine's keystore watcher sees the revocation before the deadline
    // fires.
    Duration writeTimeout = Duration.ofSeconds(6);
    try (TestServer server = start(writeTimeout)) {
      Credential stuck = server.provision("stuck");
      try (NonReader nonReader = NonReader.connect(server.port(), stuck).awaitServerStuck()) {
        long start = System.nanoTime();
        server.keystore().revoke("stuck");
        JsonNode closed = server.awaitEvent("session.closed");
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(closed.path("outcome").asText()).isEqualTo("revoked");
        assertThat(took).isLessThan(writeTimeout.plus(RELOAD_INTERVAL).plusSeconds(2));
      }
    }
  }

  @Test
  void aWriteBlockedPastTheDeadlineEndsTheSessionAsWriteTimeout() throws Exception {
    try (TestServer server = start(Duration.ofMillis(500))) {
      Credential stuck = server.provision("stuck");
      try (NonReader nonReader = NonReader.connect(server.port(), stuck)) {
        JsonNode closed = server.awaitEvent("session.closed");
        assertThat(closed.path("outcome").asText()).isEqualTo("write-timeout");
        assertThat(closed.path("client_id").asText()).isEqualTo("stuck");
        assertThat(closed.path("detail").asText()).contains("write deadline");
      }
      // session.closed is written before the connection's thread lets go of its session count:
      // on a busy machine the count may trail the audit line by a moment.
      await().atMost(Duration.ofSeconds(60)).until(() -> server.server().verifiedSessions() == 0);
    }
  }

  @Test
  void stoppingReturnsWithinTheGracePeriodWhileAClientNeverReads() throws Exception {
    TestServer server = start(Duration.ofMinutes(5));
    Credential stuck = server.provision("stuck");
    Duration grace = Duration.ofMillis(500);
    try (NonReader nonReader = NonReader.connect(server.port(), stuck).awaitServerStuck()) {
      long start = System.nanoTime();
      server.server().close(grace);
      Duration took = Duration.ofNanos(System.nanoTime() - start);

      assertThat(took).isLessThan(grace.plusSeconds(2));
      assertThat(server.events("server.stopped")).hasSize(1);
      assertThat(server.events("session.closed").get(0).path("outcome").asText())
          .isEqualTo("server-shutdown");
    } finally {
      server.close();
    }
  }

  @Test
  void aRevocationLandingBetweenKeyLookupAndSessionRegistrationStillRefuses() throws Exception {
    java.util.concurrent.atomic.AtomicReference<TestServer> holder =
        new java.util.concurrent.atomic.AtomicReference<>();
    java.util.concurrent.atomic.AtomicBoolean fired =
        new java.util.concurrent.atomic.AtomicBoolean();
    ServerConfig config = ServerConfig.loopback(0, dir.resolve("uploads"));
    try (TestServer server =
        TestServer.start(
            dir,
            config,
            live ->
                (clientId, keyId) -> {
                  var found = live.find(clientId, keyId);
                  if (clientId.equals("racer") && fired.compareAndSet(false, true)) {
                    // The operator's revocation lands right after the handshake's lookup.
                    try {
                      holder.get().revokeNow("racer");
                    } catch (IOException e) {
                      throw new java.io.UncheckedIOException(e);
                    }
                    holder.get().server().revalidateSessions();
                  }
                  return found;
                })) {
      holder.set(server);
      Credential racer = server.provision("racer");
      try (RawClient client = RawClient.connect(server.port())) {
        var handshake =
            new ClientHandshake(racer.identity(), RawClient.ANY_HOST_KEY, RandomSource.secure());
        client.send(handshake.onHello(client.readFrame()));
        var answer = client.readFrame();
        assertThat(answer.type()).isEqualTo(FrameType.REFUSED);
      }
      assertThat(fired).isTrue();
      JsonNode rejected = server.awaitEvent("auth.rejected");
      assertThat(rejected.path("reason").asText()).isEqualTo("revoked-key");
      assertThat(rejected.path("client_id").asText()).isEqualTo("racer");
      assertThat(server.events("auth.accepted")).isEmpty();
      assertThat(server.server().verifiedSessions()).isZero();
    }
  }

  @Test
  void concurrentClosesStopTheServerExactlyOnce() throws Exception {
    TestServer server = start(Duration.ofSeconds(30));
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> closers = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      closers.add(
          Thread.ofPlatform()
              .start(
                  () -> {
                    try {
                      go.await();
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    }
                    server.server().close();
                  }));
    }
    go.countDown();
    for (Thread closer : closers) {
      closer.join();
    }
    server.close();
    assertThat(server.events("server.stopped")).hasSize(1);
  }
}
