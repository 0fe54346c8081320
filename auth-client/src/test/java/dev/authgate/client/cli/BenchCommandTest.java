package dev.authgate.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.keyfile.KeyFiles;
import dev.authgate.server.connection.ServerConfig;
import dev.authgate.server.connection.SessionLimits;
import dev.authgate.server.testing.TestServer;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code auth-client bench handshake} against a real server: what it counts, and its failures. */
@Tag("system")
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

  /** {@code auth-client bench BENCHMARK --server … --key bench-1's … ARGS…}. */
  private CliRun bench(String benchmark, String... args) {
    java.util.List<String> all =
        new java.util.ArrayList<>(
            java.util.List.of(
                "bench",
                benchmark,
                "--server",
                server.hostPort(),
                "--key",
                server.credentialFile("bench-1").toString()));
    all.addAll(java.util.List.of(args));
    return CliRun.client(all.toArray(String[]::new));
  }

  /** Replaces the server with one that lets each client hold {@code perClient} sessions. */
  private void restartWithSessionsPerClient(int perClient) throws IOException {
    server.close();
    server =
        TestServer.start(
            dir.resolve("capped"),
            ServerConfig.loopback(0, dir.resolve("uploads"))
                .withSessions(new SessionLimits(100, perClient, java.time.Duration.ofSeconds(30))));
    server.provision("bench-1");
  }

  @Test
  void countsEveryVerifiedConnectionTheServerAccepted() throws Exception {
    CliRun run =
        bench("handshake", "--threads", "2", "--duration", "1s", "--warmup", "200ms", "--json");

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
        wrong,
        new Credential(
                "bench-1",
                "k1",
                RandomSource.secure().bytes(32),
                java.util.List.of(server.hostKeyFingerprint()))
            .format(),
        false);
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
  void sessionsAreHeldUntilTheEndAndThenClosed() throws Exception {
    CliRun run =
        bench("sessions", "--count", "12", "--hold", "300ms", "--keepalive", "100ms", "--json");

    assertThat(run.exit()).as(run.err()).isZero();
    JsonNode result = new ObjectMapper().readTree(run.out());
    assertThat(result.path("opened").asInt()).isEqualTo(12);
    assertThat(result.path("failed").asInt()).isZero();
    assertThat(result.path("alive").asInt())
        .as("every held session answered at the end")
        .isEqualTo(12);
    assertThat(result.path("probes").asInt()).isPositive();
    assertThat(result.path("probe_failed").asInt()).isZero();
    assertThat(result.has("server_sessions")).as("no --metrics, no server figures").isFalse();
    // The held sessions and the probes all end with CLOSE from the client.
    int verified = server.events("auth.accepted").size();
    assertThat(verified).isEqualTo(12 + result.path("probes").asInt());
    org.awaitility.Awaitility.await()
        .untilAsserted(
            () ->
                assertThat(server.events("session.closed"))
                    .hasSize(verified)
                    .allSatisfy(e -> assertThat(e.path("outcome").asText()).isEqualTo("closed")));
  }

  @Test
  void sessionsOverTheServersPerClientCapAreCountedAsFailedWithTheReason() throws Exception {
    restartWithSessionsPerClient(10);
    CliRun run = bench("sessions", "--count", "12", "--hold", "0s");

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out())
        .startsWith("10 of 12 verified sessions opened")
        .contains("2 failed")
        .contains("10 still answering at the end");
    assertThat(run.err())
        .startsWith("auth-client: first failure: the server asked us to try later")
        .contains("already has as many sessions as it may");
  }

  @Test
  void everyMessageReachesEveryOtherMemberOfTheRoom() throws Exception {
    CliRun run =
        bench(
            "chat",
            "--members",
            "5",
            "--senders",
            "2",
            "--rate",
            "20",
            "--duration",
            "1s",
            "--warmup",
            "200ms",
            "--json");

    assertThat(run.exit()).as(run.err()).isZero();
    JsonNode result = new ObjectMapper().readTree(run.out());
    long said = result.path("said").asLong();
    assertThat(said).as("about 20 a second for 1 s").isBetween(10L, 30L);
    assertThat(result.path("expected").asLong()).isEqualTo(said * 4);
    assertThat(result.path("delivered").asLong()).isEqualTo(said * 4);
    assertThat(result.path("lost").asLong()).isZero();
    assertThat(result.path("dropped_members").asLong()).isZero();
    assertThat(result.path("p99_ms").asDouble())
        .isGreaterThanOrEqualTo(result.path("p50_ms").asDouble())
        .isPositive();
    // Warm-up messages were said too, but not counted.
    org.awaitility.Awaitility.await()
        .untilAsserted(
            () ->
                assertThat(server.events("session.closed"))
                    .filteredOn(e -> e.path("kind").asText().equals("chat"))
                    .hasSize(5)
                    .extracting(e -> e.path("messages_in").asLong())
                    .satisfies(
                        in ->
                            assertThat(in.stream().mapToLong(Long::longValue).sum())
                                .isGreaterThan(said)));
  }

  @Test
  void aRoomTheClientMayNotEnterExitsFiveAndSaysWhy() throws Exception {
    server
        .keystore()
        .settings()
        .setPermissions("bench-1", p -> p.withRooms(java.util.List.of("ops")));
    server.reloadKeys();
    CliRun run = bench("chat", "--members", "3");

    assertThat(run.exit()).isEqualTo(5);
    assertThat(run.out()).startsWith("only 0 of 3 members could join; nothing measured");
    assertThat(run.err()).startsWith("auth-client: first failure:").contains("room");
  }

  @Test
  void withRetryASessionTurnedAwayIsTriedAgainUntilItGivesUp() throws Exception {
    restartWithSessionsPerClient(3);
    CliRun run =
        bench(
            "sessions",
            "--count",
            "4",
            "--open-threads",
            "4",
            "--retry",
            "--retry-for",
            "1500ms",
            "--sources",
            "127.0.0.1-127.0.0.4",
            "--hold",
            "0s",
            "--json");

    assertThat(run.exit()).as(run.err()).isZero();
    JsonNode result = new ObjectMapper().readTree(run.out());
    assertThat(result.path("opened").asInt()).isEqualTo(3);
    assertThat(result.path("failed").asInt()).isEqualTo(1);
    assertThat(result.path("retried").asInt())
        .as("the fourth was turned away and retried")
        .isPositive();
    assertThat(server.events("auth.rejected"))
        .extracting(e -> e.path("remote").asText().replaceAll(":[0-9]+$", ""))
        .as("the session turned away kept its own source address on every attempt")
        .containsOnly(
            server
                .events("auth.rejected")
                .get(0)
                .path("remote")
                .asText()
                .replaceAll(":[0-9]+$", ""));
    assertThat(server.events("auth.accepted"))
        .extracting(e -> e.path("remote").asText().replaceAll(":[0-9]+$", ""))
        .as("each session connected from its own source address")
        .doesNotHaveDuplicates();
  }

  @Test
  void parallelUploadsAreCountedAndStoredAsOneFilePerSession() throws Exception {
    CliRun run =
        bench(
            "upload",
            "--parallel",
            "2",
            "--size",
            "300K",
            "--duration",
            "500ms",
            "--warmup",
            "0s",
            "--json");

    assertThat(run.exit()).as(run.err()).isZero();
    JsonNode result = new ObjectMapper().readTree(run.out());
    long uploads = result.path("uploads").asLong();
    assertThat(uploads).isGreaterThanOrEqualTo(2);
    assertThat(result.path("bytes").asLong()).isEqualTo(uploads * 300 * 1024);
    assertThat(result.path("failed").asLong()).isZero();
    org.awaitility.Awaitility.await()
        .untilAsserted(
            () ->
                assertThat(server.events("upload.stored"))
                    .hasSizeGreaterThanOrEqualTo((int) uploads));
    Path stored = dir.resolve("server").resolve("uploads").resolve("bench-1");
    assertThat(stored.resolve("bench-0.bin")).hasSize(300 * 1024);
    assertThat(stored.resolve("bench-1.bin")).hasSize(300 * 1024);
    try (var files = java.nio.file.Files.list(stored)) {
      assertThat(files.filter(f -> !f.getFileName().toString().startsWith("."))).hasSize(2);
    }
  }

  @Test
  void anUploadTheServerRefusesEndsTheBenchmarkWithTheReason() throws Exception {
    server.keystore().settings().setPermissions("bench-1", p -> p.withMaxFileSize(100 * 1024L));
    server.reloadKeys();
    CliRun run = bench("upload", "--size", "300K", "--duration", "300ms", "--warmup", "0s");

    assertThat(run.exit()).isNotZero();
    assertThat(run.out()).startsWith("0 uploads of 307200 bytes");
    assertThat(run.err())
        .startsWith("auth-client: first failure:")
        .contains("the server refused the upload");
  }

  @Test
  void aCountOfZeroIsRefused() {
    CliRun run =
        CliRun.client(
            "bench", "sessions", "--server", server.hostPort(), "--key", "x", "--count", "0");
    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).contains("--count must be from 1 to 1000000");
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
