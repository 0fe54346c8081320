package dev.authgate.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.authgate.protocol.frame.FrameType;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.server.connection.ServerConfig;
import dev.authgate.server.defence.Defences;
import dev.authgate.server.defence.PenaltyPolicy;
import dev.authgate.server.testing.RawClient;
import dev.authgate.server.testing.RedisProcess;
import dev.authgate.server.testing.TestServer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two servers sharing penalties through a real redis-server. 60 s per failed login, refused above
 * 180 s — so two failures on each of two servers refuse the source only if they add up, and a
 * refusal lasts minutes, longer than any wait here (with the default 5 s it could decay while a
 * restarted Redis was still being reconnected to).
 */
@Tag("system")
class SharedPenaltiesTest {
  private static final Duration SHARING = Duration.ofSeconds(20);
  private static final PenaltyPolicy SLOW_TO_DECAY =
      new PenaltyPolicy(
          Duration.ofSeconds(60),
          Duration.ofSeconds(60),
          Duration.ofSeconds(60),
          Duration.ofSeconds(180),
          Duration.ofMinutes(30),
          32,
          64,
          1000,
          java.util.List.of());

  @TempDir Path dir;
  private RedisProcess redis;
  private TestServer a;
  private TestServer b;

  private TestServer server(String name, RedisProcess shared) throws IOException {
    ServerConfig config =
        ServerConfig.loopback(0, dir.resolve(name).resolve("uploads"))
            .withServerId(name)
            .withDefences(new Defences(SLOW_TO_DECAY, "1000", 100));
    return TestServer.clustered(dir.resolve(name), dir.resolve("keys"), config, shared.target());
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {a, b, redis}) {
      if (c != null) {
        c.close();
      }
    }
  }

  private static void failLogin(TestServer server, String from) throws IOException {
    int port;
    try (RawClient attacker = RawClient.connect(server.port(), from, 0)) {
      port = attacker.localPort();
      catchThrowable(() -> attacker.handshake(RawClient.stranger()));
    }
    String remote = from + ":" + port;
    JsonNode rejected =
        server.awaitEvent("auth.rejected", e -> remote.equals(e.path("remote").asText()));
    assertThat(rejected.path("reason").asText()).isEqualTo("unknown-client");
  }

  /** Whether {@code server} refuses a new connection from {@code from} at accept now. */
  private static boolean refuses(TestServer server, String from) throws IOException {
    try (RawClient probe = RawClient.connect(server.port(), from, 0)) {
      return probe.readFrame().type() == FrameType.REFUSED;
    }
  }

  private static void ping(TestServer server, String from, Credential who) throws IOException {
    try (RawClient client = RawClient.connect(server.port(), from, 0)) {
      client.ping(who.identity());
    }
  }

  private static void awaitConnected(TestServer... servers) {
    for (TestServer server : servers) {
      await().atMost(SHARING).until(() -> server.cluster().connected());
    }
  }

  @Test
  void failuresSpreadOverTwoServersAddUpAndTheSourceIsRefusedByBoth() throws Exception {
    redis = RedisProcess.start(dir.resolve("redis"));
    a = server("a", redis);
    b = server("b", redis);
    Credential sensor = a.provision("sensor-1");
    b.reloadKeys();
    awaitConnected(a, b);

    failLogin(a, "127.0.0.2");
    failLogin(b, "127.0.0.2");
    failLogin(a, "127.0.0.2");
    failLogin(b, "127.0.0.2");

    await().atMost(SHARING).until(() -> refuses(a, "127.0.0.2") && refuses(b, "127.0.0.2"));
    ping(a, "127.0.0.3", sensor);
    ping(b, "127.0.0.3", sensor);
    assertThat(a.awaitEvent("cluster.connected").path("server_id").asText()).isEqualTo("a");
  }

  @Test
  void withRedisKilledBothServeOnAloneAndItsReturnSharesWhatEachLearntMeanwhile() throws Exception {
    redis = RedisProcess.start(dir.resolve("redis"));
    a = server("a", redis);
    b = server("b", redis);
    Credential sensor = a.provision("sensor-1");
    b.reloadKeys();
    awaitConnected(a, b);

    redis.kill();
    JsonNode degraded = a.awaitEvent("cluster.degraded");
    b.awaitEvent("cluster.degraded");
    assertThat(degraded.path("redis").asText()).isEqualTo(redis.url());
    ping(a, "127.0.0.3", sensor);
    ping(b, "127.0.0.3", sensor);
    for (int i = 0; i < 4; i++) {
      failLogin(a, "127.0.0.4");
    }
    assertThat(refuses(a, "127.0.0.4")).isTrue();
    assertThat(refuses(b, "127.0.0.4")).isFalse();

    redis.startAgain();
    JsonNode back = b.awaitEvent("cluster.connected", e -> e.has("down_ms"));
    assertThat(back.path("down_ms").asLong()).isPositive();
    await().atMost(SHARING).until(() -> refuses(b, "127.0.0.4"));
    assertThat(a.events("cluster.degraded")).hasSize(1);
    assertThat(b.events("cluster.degraded")).hasSize(1);
  }

  @Test
  void aServerStartedBeforeItsRedisServesAloneAndJoinsWhenRedisComes() throws Exception {
    redis = RedisProcess.notStarted(dir.resolve("redis"));
    a = server("a", redis);
    Credential sensor = a.provision("sensor-1");

    JsonNode degraded = a.awaitEvent("cluster.degraded");
    assertThat(degraded.path("error").asText()).isNotBlank();
    ping(a, "127.0.0.3", sensor);

    redis.startAgain();
    await().atMost(SHARING).until(() -> a.cluster().connected());
    a.awaitEvent("cluster.connected");
  }
}
