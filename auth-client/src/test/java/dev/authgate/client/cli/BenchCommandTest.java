package dev.authgate.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.keyfile.KeyFiles;
import dev.authgate.server.testing.TestServer;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code auth-client bench handshake} against a real server: what it counts, and its failures. */
class BenchCommandTest {
  @TempDir Path dir;
  TestServer server;

  @BeforeEach
  void start() throws IOException {
    server = TestServer.start(dir.resolve("server"));
    server.provision("bench-1");
  }

  @AfterEach
  void stop() throws IOException {
    server.close();
  }

  @Test
  void countsEveryVerifiedConnectionTheServerAccepted() throws Exception {
    CliRun run =
        CliRun.client(
            "bench",
            "handshake",
            "--server",
            server.hostPort(),
            "--key",
            server.credentialFile("bench-1").toString(),
            "--threads",
            "2",
            "--duration",
            "1s",
            "--warmup",
            "200ms",
            "--json");

    assertThat(run.exit()).as(run.err()).isZero();
    JsonNode result = new ObjectMapper().readTree(run.out());
    long connections = result.path("connections").asLong();
    assertThat(connections).isPositive();
    assertThat(result.path("failed").asLong()).isZero();
    assertThat(result.path("threads").asInt()).isEqualTo(2);
    assertThat(result.path("p99_ms").asDouble())
        .isGreaterThanOrEqualTo(result.path("p50_ms").asDouble())
        .isPositive();
    assertThat(server.events("auth.accepted").size()).isGreaterThanOrEqualTo((int) connections);
  }

  @Test
  void aClientTheServerRefusesExitsThreeAndSaysWhy() throws Exception {
    Path wrong = dir.resolve("wrong.credential");
    KeyFiles.writePrivate(
        wrong, new Credential("bench-1", "k1", RandomSource.secure().bytes(32)).format(), false);
    CliRun run =
        CliRun.client(
            "bench",
            "handshake",
            "--server",
            server.hostPort(),
            "--key",
            wrong.toString(),
            "--duration",
            "200ms",
            "--warmup",
            "0s");

    assertThat(run.exit()).isEqualTo(3);
    assertThat(run.out()).startsWith("0 verified connections");
    assertThat(run.err()).startsWith("auth-client: first failure: the server refused this client");
  }

  @Test
  void aBadDurationIsAUsageError() {
    CliRun run =
        CliRun.client(
            "bench", "handshake", "--server", server.hostPort(), "--key", "x", "--duration", "1x");
    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).contains("'1x' is not a duration");
  }
}
