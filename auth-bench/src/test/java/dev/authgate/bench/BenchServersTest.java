package dev.authgate.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.authgate.client.AuthgateClient;
import dev.authgate.client.connect.ServerAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The benchmarks' server lets their client in: a benchmark that cannot connect measures nothing.
 */
class BenchServersTest {
  @Test
  void theBenchmarkClientPinsTheServersHostKeyAndGetsIn() throws Exception {
    try (BenchServers servers = new BenchServers()) {
      assertThat(servers.credential.hostKeys()).hasSize(1);
      Duration rtt =
          AuthgateClient.of(
                  new ServerAddress("127.0.0.1", servers.server.address().getPort()),
                  servers.credential)
              .ping();
      assertThat(rtt).isPositive();
    }
  }
}
