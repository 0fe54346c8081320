package dev.authgate.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.authgate.server.connection.ServerConfig;
import dev.authgate.server.testing.RedisProcess;
import dev.authgate.server.testing.TestServer;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two servers sharing one Redis under the same --server-id would mix up each other's chat members
 * and session counts without a word: both say so, loudly and once, as soon as they hear each other.
 */
@Tag("system")
class DuplicateServerIdTest {
  @TempDir Path dir;
  private RedisProcess redis;
  private TestServer a;
  private TestServer b;
  private TestServer c;

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable closeable : new AutoCloseable[] {a, b, c, redis}) {
      if (closeable != null) {
        closeable.close();
      }
    }
  }

  private TestServer server(String dirName, String serverId) throws IOException {
    ServerConfig config =
        ServerConfig.loopback(0, dir.resolve(dirName).resolve("uploads")).withServerId(serverId);
    return TestServer.clustered(dir.resolve(dirName), dir.resolve("keys"), config, redis.target());
  }

  @Test
  void twoServersWithOneServerIdBothSaySoOnce_aThirdWithItsOwnIdSaysNothing() throws Exception {
    redis = RedisProcess.start(dir.resolve("redis"));
    a = server("a", "gate");
    b = server("b", "gate");
    c = server("c", "other");

    JsonNode onA = a.awaitEvent("cluster.duplicate_server_id");
    JsonNode onB = b.awaitEvent("cluster.duplicate_server_id");

    assertThat(onA.path("server_id").asText()).isEqualTo("gate");
    assertThat(onB.path("redis").asText()).isEqualTo(redis.url());
    // Said once each (however many heartbeats follow), and not by a server that hears "gate"
    // but has its own id.
    org.awaitility.Awaitility.await().until(() -> c.cluster().alive("gate"));
    assertThat(a.events("cluster.duplicate_server_id")).hasSize(1);
    assertThat(b.events("cluster.duplicate_server_id")).hasSize(1);
    assertThat(c.events("cluster.duplicate_server_id")).isEmpty();
  }
}
