package dev.authgate.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.session.SecureChannel;
import dev.authgate.protocol.session.SessionMessage;
import dev.authgate.server.connection.ServerConfig;
import dev.authgate.server.connection.SessionLimits;
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
import redis.clients.jedis.Jedis;
import redis.clients.jedis.params.ClientKillParams;

/** --max-sessions-per-client holds across two servers sharing a real redis-server. */
@Tag("system")
class SharedSessionCapTest {
  @TempDir Path dir;
  private RedisProcess redis;
  private TestServer a;
  private TestServer b;

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {a, b, redis}) {
      if (c != null) {
        c.close();
      }
    }
  }

  private TestServer server(String name) throws IOException {
    ServerConfig config =
        ServerConfig.loopback(0, dir.resolve(name).resolve("uploads"))
            .withServerId(name)
            .withSessions(new SessionLimits(100, 2, Duration.ofSeconds(30)));
    return TestServer.clustered(dir.resolve(name), dir.resolve("keys"), config, redis.target());
  }

  private static RawClient session(TestServer server, Credential who) throws IOException {
    RawClient client = RawClient.connect(server.port());
    SecureChannel channel = client.handshake(who.identity());
    channel.send(new SessionMessage.Ping(1));
    assertThat(channel.receive()).isEqualTo(new SessionMessage.Pong(1));
    return client;
  }

  private static boolean admitted(TestServer server, Credential who) throws IOException {
    try (RawClient client = RawClient.connect(server.port())) {
      return catchThrowable(() -> client.handshake(who.identity())) == null;
    }
  }

  @Test
  void aClientsSessionsOnBothServersCountAgainstOneCap() throws Exception {
    redis = RedisProcess.start(dir.resolve("redis"));
    a = server("a");
    b = server("b");
    Credential sensor = a.provision("sensor-1");
    b.reloadKeys();
    await().atMost(Duration.ofSeconds(20)).until(() -> a.cluster().connected());
    await().atMost(Duration.ofSeconds(20)).until(() -> b.cluster().connected());

    RawClient first = session(a, sensor);
    try {
      RawClient second = session(b, sensor);
      try {
        await().atMost(Duration.ofSeconds(20)).until(() -> !admitted(a, sensor));
        JsonNode refused =
            a.awaitEvent("auth.rejected", e -> e.path("reason").asText().equals("session-limit"));
        assertThat(refused.path("detail").asText())
            .contains("client already has 2 verified sessions (1 on other servers)");
      } finally {
        second.close();
      }
      // The session on b ended: a admits the client again.
      await().atMost(Duration.ofSeconds(20)).until(() -> admitted(a, sensor));
    } finally {
      first.close();
    }
  }

  @Test
  void withRedisAwayEachServerCapsOnlyItsOwnSessions() throws Exception {
    redis = RedisProcess.start(dir.resolve("redis"));
    a = server("a");
    b = server("b");
    Credential sensor = a.provision("sensor-1");
    b.reloadKeys();
    await().atMost(Duration.ofSeconds(20)).until(() -> a.cluster().connected());

    RawClient first = session(b, sensor);
    RawClient second = session(b, sensor);
    try {
      await().atMost(Duration.ofSeconds(20)).until(() -> !admitted(a, sensor));
      redis.kill();
      a.awaitEvent("cluster.degraded");
      assertThat(admitted(a, sensor)).isTrue();
    } finally {
      first.close();
      second.close();
    }
  }

  @Test
  void aServerCutOffFromRedisAloneTellsTheOthersItsSessionsWhenItIsBack() throws Exception {
    redis = RedisProcess.start(dir.resolve("redis"));
    try (Jedis admin = new Jedis("127.0.0.1", redis.port())) {
      admin.aclSetUser("gw-b", "on", ">b-password", "~*", "&*", "+@all");
      a = server("a");
      ServerConfig config =
          ServerConfig.loopback(0, dir.resolve("b").resolve("uploads"))
              .withServerId("b")
              .withSessions(new SessionLimits(100, 2, Duration.ofSeconds(30)));
      b =
          TestServer.clustered(
              dir.resolve("b"),
              dir.resolve("keys"),
              config,
              RedisTarget.parse("redis://gw-b:b-password@127.0.0.1:" + redis.port() + "/0"));
      Credential sensor = a.provision("sensor-1");
      b.reloadKeys();
      await().atMost(Duration.ofSeconds(20)).until(() -> a.cluster().connected());
      await().atMost(Duration.ofSeconds(20)).until(() -> b.cluster().connected());

      // b alone loses Redis (its user is switched off and its connections cut), while a keeps it.
      admin.aclSetUser("gw-b", "off");
      admin.clientKill(ClientKillParams.clientKillParams().user("gw-b"));
      b.awaitEvent("cluster.degraded");
      RawClient first = session(b, sensor);
      RawClient second = session(b, sensor);
      try {
        // What b did meanwhile reached nobody: a still admits the client.
        assertThat(admitted(a, sensor)).isTrue();

        admin.aclSetUser("gw-b", "on");
        await().atMost(Duration.ofSeconds(30)).until(() -> b.cluster().connected());
        await().atMost(Duration.ofSeconds(20)).until(() -> !admitted(a, sensor));
      } finally {
        first.close();
        second.close();
      }
    }
  }
}
