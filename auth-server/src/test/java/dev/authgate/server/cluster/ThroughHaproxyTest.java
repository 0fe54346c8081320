package dev.authgate.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.server.connection.ServerConfig;
import dev.authgate.server.defence.Cidr;
import dev.authgate.server.defence.Defences;
import dev.authgate.server.defence.PenaltyPolicy;
import dev.authgate.server.testing.HaproxyProcess;
import dev.authgate.server.testing.RawClient;
import dev.authgate.server.testing.RedisProcess;
import dev.authgate.server.testing.TestServer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The "must hold" with the real engines: two servers behind a real HAProxy (send-proxy-v2,
 * health checks on) sharing penalties through a real redis-server. Clients connect to HAProxy from
 * 127.0.0.2 (the attacker) and 127.0.0.3; HAProxy reaches the servers from 127.0.0.1, their only
 * trusted proxy.
 */
@Tag("system")
class ThroughHaproxyTest {
  private static final String ATTACKER = "127.0.0.2";
  private static final String HONEST = "127.0.0.3";

  @TempDir Path dir;
  private final List<AutoCloseable> running = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (int i = running.size() - 1; i >= 0; i--) {
      running.get(i).close();
    }
  }

  private <T extends AutoCloseable> T run(T thing) {
    running.add(thing);
    return thing;
  }

  private TestServer server(String name, RedisProcess redis) throws IOException {
    ServerConfig config =
        ServerConfig.loopback(0, dir.resolve(name).resolve("uploads"))
            .withServerId(name)
            .withDefences(
                new Defences(PenaltyPolicy.defaults(), "1000", 100)
                    .withTrustedProxies(List.of(Cidr.parse("127.0.0.1"))));
    return run(
        TestServer.clustered(dir.resolve(name), dir.resolve("keys"), config, redis.target()));
  }

  private static void ping(int port, String from, Credential who) throws IOException {
    try (RawClient client = RawClient.connect(port, from, 0)) {
      client.ping(who.identity());
    }
  }

  @Test
  void twentyWrongKeysSpreadOverTwoServersGetTheSourceRefusedByBothUnderItsOwnAddress()
      throws Exception {
    RedisProcess redis = run(RedisProcess.start(dir.resolve("redis")));
    TestServer a = server("a", redis);
    TestServer b = server("b", redis);
    Credential sensor = a.provision("sensor-1");
    b.reloadKeys();
    await().atMost(Duration.ofSeconds(20)).until(() -> a.cluster().connected());
    await().atMost(Duration.ofSeconds(20)).until(() -> b.cluster().connected());
    HaproxyProcess haproxy =
        run(HaproxyProcess.start(dir.resolve("haproxy"), List.of(a.port(), b.port())));

    for (int i = 0; i < 20; i++) {
      try (RawClient attacker = RawClient.connect(haproxy.port(), ATTACKER, 0)) {
        catchThrowable(() -> attacker.handshake(RawClient.stranger()));
      }
    }
    // Round robin: every second attempt went to each server. Both end up refusing the source.
    for (TestServer server : List.of(a, b)) {
      JsonNode penalized =
          server.awaitEvent(
              "auth.rejected",
              e ->
                  e.path("reason").asText().equals("penalized")
                      && e.path("source").asText().equals(ATTACKER + "/32"));
      assertThat(penalized.path("proxy").asText()).startsWith("127.0.0.1:");
      assertThat(server.events("auth.rejected"))
          .filteredOn(e -> e.path("reason").asText().equals("unknown-client"))
          .isNotEmpty()
          .allSatisfy(e -> assertThat(e.path("remote").asText()).startsWith(ATTACKER + ":"));
    }
    assertThat(a.server().penalizedSources()).isEqualTo(1);
    assertThat(b.server().penalizedSources()).isEqualTo(1);

    // Let HAProxy health-check both servers a few more times (every 500 ms) before the audit
    // logs are read.
    Thread.sleep(1_500);
    // Another source gets in through either server (two connections: one to each).
    ping(haproxy.port(), HONEST, sensor);
    ping(haproxy.port(), HONEST, sensor);
    for (TestServer server : List.of(a, b)) {
      JsonNode accepted = server.awaitEvent("auth.accepted");
      assertThat(accepted.path("remote").asText()).startsWith(HONEST + ":");
      assertThat(accepted.path("proxy").asText()).startsWith("127.0.0.1:");
      // HAProxy's health checks (a connect and a close, every 500 ms) are not audited.
      assertThat(server.auditEvents())
          .filteredOn(e -> e.path("event").asText().startsWith("auth."))
          .allSatisfy(
              e ->
                  assertThat(
                          e.path("remote").asText().isEmpty()
                              ? e.path("source").asText()
                              : e.path("remote").asText())
                      .matches("127\\.0\\.0\\.[23][:/].*"));
    }
  }
}
