package dev.authgate.client.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.keyfile.KeyFiles;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code serve --metrics}: a scrape after a verified ping and a refused client counts both. */
class MetricsProcessIT {
  @TempDir Path dir;

  private static String scrape(int port) throws Exception {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                    .timeout(Duration.ofSeconds(10))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    return response.body();
  }

  private static int freePort() throws java.io.IOException {
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return probe.getLocalPort();
    }
  }

  private int ping(Jars.Server server, String key) throws Exception {
    return Jars.run(
        dir, Jars.client(List.of(), "ping", "--server", server.address(), "--key", key));
  }

  @Test
  void aScrapeCountsTheVerifiedPingAndTheRefusedClient() throws Exception {
    Jars.provision(dir, "sensor-1");
    KeyFiles.writePrivate(
        dir.resolve("wrong.credential"),
        new Credential(
                "sensor-1",
                "k1",
                RandomSource.secure().bytes(32),
                Credential.load(dir.resolve("sensor-1.credential")).hostKeys())
            .format(),
        false);
    int metricsPort = freePort();
    Jars.Server server =
        Jars.serve(dir, List.of(), Jars.serveArgs("--metrics", "127.0.0.1:" + metricsPort));
    try {
      assertThat(ping(server, "sensor-1.credential")).isZero();
      assertThat(ping(server, "wrong.credential")).isEqualTo(3);

      await()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(
              () ->
                  assertThat(scrape(metricsPort))
                      .contains("authgate_handshakes_total{outcome=\"accepted\",reason=\"\"} 1.0")
                      .contains(
                          "authgate_handshakes_total{outcome=\"refused\",reason=\"bad-proof\"} 1.0")
                      .contains("authgate_handshake_seconds_count 1")
                      .contains(
                          "authgate_sessions_closed_total{kind=\"ping\",outcome=\"closed\"} 1.0")
                      .contains("authgate_sessions 0.0")
                      .contains("authgate_penalized_sources 1.0")
                      .contains("authgate_audit_lost_records 0.0")
                      // The JVM's and the process's own, for sizing (bench sessions --metrics).
                      .contains("process_resident_memory_bytes ")
                      .contains("jvm_memory_pool_collection_used_bytes{pool=\"G1 Old Gen\"}")
                      .contains("jvm_gc_collection_seconds_count{")
                      // What is running and what it loaded; no cluster gauge without --redis.
                      .containsPattern(
                          "authgate_build_info\\{commit=\"[^\"]+\",jdk=\"[^\"]+\",version=\"[^\"]+\"\\} 1.0")
                      .contains("authgate_clients 1.0")
                      .contains("authgate_keys 1.0")
                      .doesNotContain("authgate_cluster_connected"));
    } finally {
      server.process().destroy();
      assertThat(server.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void halfOpenConnectionsToTheMetricsPortNeitherStopAScrapeNorStayOpen() throws Exception {
    Jars.provision(dir, "sensor-1");
    int metricsPort = freePort();
    Jars.Server server =
        Jars.serve(dir, List.of(), Jars.serveArgs("--metrics", "127.0.0.1:" + metricsPort));
    java.util.List<java.net.Socket> halfOpen = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < 50; i++) {
        java.net.Socket socket = new java.net.Socket(InetAddress.getLoopbackAddress(), metricsPort);
        socket
            .getOutputStream()
            .write("GET /metrics HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
        halfOpen.add(socket);
      }
      long start = System.nanoTime();
      assertThat(scrape(metricsPort)).contains("authgate_sessions");
      System.out.printf(
          "scrape beside 50 half-open connections: %d ms%n",
          (System.nanoTime() - start) / 1_000_000);

      // The request deadline (10 s) closes a connection that never finishes its request.
      java.net.Socket first = halfOpen.getFirst();
      first.setSoTimeout(60_000);
      int read;
      try {
        read = first.getInputStream().read();
      } catch (java.net.SocketException reset) {
        read = -1;
      }
      assertThat(read).as("closed by the server, with no answer").isEqualTo(-1);
    } finally {
      for (java.net.Socket socket : halfOpen) {
        socket.close();
      }
      server.process().destroy();
      assertThat(server.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void benchSessionsReadsWhatItsHeldSessionsCostTheServer() throws Exception {
    Jars.provision(dir, "sensor-1");
    int metricsPort = freePort();
    Jars.Server server =
        Jars.serve(dir, List.of(), Jars.serveArgs("--metrics", "127.0.0.1:" + metricsPort));
    try {
      Process bench =
          new ProcessBuilder(
                  Jars.client(
                      List.of(),
                      "bench",
                      "sessions",
                      "--server",
                      server.address(),
                      "--key",
                      "sensor-1.credential",
                      "--count",
                      "20",
                      "--hold",
                      "1s",
                      "--metrics",
                      "http://127.0.0.1:" + metricsPort + "/metrics",
                      "--json"))
              .directory(dir.toFile())
              .redirectError(dir.resolve("bench.err").toFile())
              .start();
      String out = new String(bench.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(bench.waitFor(120, TimeUnit.SECONDS)).isTrue();
      assertThat(bench.exitValue()).as(Files.readString(dir.resolve("bench.err"))).isZero();

      JsonNode result = new ObjectMapper().readTree(out);
      assertThat(result.path("opened").asInt()).isEqualTo(20);
      assertThat(result.path("alive").asInt()).isEqualTo(20);
      assertThat(result.path("server_sessions").asInt())
          .as("the server's own count while they were held")
          .isEqualTo(20);
      assertThat(result.path("server_rss_bytes_per_session").isNumber()).isTrue();
      assertThat(result.path("server_heap_used_bytes_per_session").isNumber()).isTrue();
      assertThat(result.has("server_heap_after_gc_bytes_per_session")).isTrue();
      await()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(() -> assertThat(scrape(metricsPort)).contains("authgate_sessions 0.0"));
    } finally {
      server.process().destroy();
      assertThat(server.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
  }
}
