package dev.authgate.client.process;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.server.testing.NonReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code auth-server serve} as a real process: it starts, serves a ping, and stops on SIGTERM. */
@SuppressWarnings("try") // the non-reader only needs to exist while the server stops
class ServeProcessIT {
  @TempDir Path dir;

  @Test
  void sigtermStopsTheServerCleanlyWithExitZeroAndServerStoppedAudited() throws Exception {
    Jars.provision(dir, "s1");
    Jars.Server server = Jars.serve(dir, List.of(), Jars.serveArgs());
    assertThat(server.address()).matches("127\\.0\\.0\\.1:\\d+");

    assertThat(
            Jars.run(
                dir,
                Jars.client(
                    List.of(), "ping", "--server", server.address(), "--key", "s1.credential")))
        .isZero();

    server.process().destroy();
    assertThat(server.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(server.process().exitValue()).isZero();
    List<String> audit = Files.readAllLines(dir.resolve("audit.jsonl"));
    assertThat(audit.get(audit.size() - 1)).contains("\"event\":\"server.stopped\"");
    assertThat(audit).anyMatch(l -> l.contains("\"event\":\"auth.accepted\""));
    // Only the start-up line and one line per connection outcome: no warning, no error.
    List<String> err = Files.readAllLines(dir.resolve("server.err"));
    assertThat(err)
        .allMatch(l -> l.contains(" INFO  "), "INFO lines only")
        .anyMatch(l -> l.contains("accepted s1 (key k1) from 127.0.0.1:"));
    // The stop says it was asked for and went cleanly, in one line, last.
    assertThat(err).filteredOn(l -> l.contains("stopped")).hasSize(1);
    assertThat(err.get(err.size() - 1))
        .matches(".* INFO  serve: stopped on request: 0 sessions ended, in [0-9]+ ms");
  }

  @Test
  void withLogFormatJsonEveryStderrLineIsAJsonObjectWithTheEventsFields() throws Exception {
    Jars.provision(dir, "s1");
    Path impostor = java.nio.file.Files.createDirectory(dir.resolve("impostor"));
    Jars.provisionImpostor(dir, impostor, "s1"); // same id, another secret
    Jars.Server server = Jars.serve(dir, List.of(), Jars.serveArgs("--log-format", "json"));
    assertThat(
            Jars.run(
                dir,
                Jars.client(
                    List.of(), "ping", "--server", server.address(), "--key", "s1.credential")))
        .isZero();
    assertThat(
            Jars.run(
                impostor,
                Jars.client(
                    List.of(), "ping", "--server", server.address(), "--key", "s1.credential")))
        .isEqualTo(3);
    server.process().destroy();
    assertThat(server.process().waitFor(30, TimeUnit.SECONDS)).isTrue();

    ObjectMapper json = new ObjectMapper();
    List<JsonNode> lines = new java.util.ArrayList<>();
    for (String line : Files.readAllLines(dir.resolve("server.err"))) {
      JsonNode node = json.readTree(line);
      assertThat(node.isObject()).as(line).isTrue();
      assertThat(node.has("ts") && node.has("level") && node.has("msg")).as(line).isTrue();
      lines.add(node);
    }
    JsonNode started = event(lines, "server.started");
    assertThat(started.get("listen").asText()).isEqualTo(server.address());
    assertThat(started.get("clients").asInt()).isEqualTo(1);
    assertThat(started.get("msg").asText()).contains("1 client with 1 key from keys");
    JsonNode accepted = event(lines, "auth.accepted");
    assertThat(accepted.get("client_id").asText()).isEqualTo("s1");
    assertThat(accepted.get("msg").asText()).startsWith("accepted s1 (key k1) from 127.0.0.1:");
    JsonNode refused = event(lines, "auth.rejected");
    assertThat(refused.get("reason").asText()).isEqualTo("bad-proof");
    assertThat(refused.get("level").asText()).isEqualTo("INFO");
    assertThat(event(lines, "session.closed").get("bytes_in").isIntegralNumber()).isTrue();
  }

  private static JsonNode event(List<JsonNode> lines, String name) {
    return lines.stream()
        .filter(l -> name.equals(l.path("event").asText()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + name + " line in " + lines));
  }

  @Test
  void sigtermExitsWithinTheGracePeriodWhileAVerifiedClientNeverReads() throws Exception {
    Jars.provision(dir, "s1");
    Jars.Server server = Jars.serve(dir, List.of(), Jars.serveArgs("--shutdown-grace", "1s"));
    int port = Integer.parseInt(server.address().replaceAll(".*:", ""));
    var credential = Credential.load(dir.resolve("s1.credential"));
    try (NonReader nonReader = NonReader.connect(port, credential).awaitServerStuck()) {
      long start = System.nanoTime();
      server.process().destroy();
      assertThat(server.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
      java.time.Duration took = java.time.Duration.ofNanos(System.nanoTime() - start);

      assertThat(took).isLessThan(java.time.Duration.ofSeconds(1 + 2));
      assertThat(server.process().exitValue()).isZero();
    }
    List<String> audit = Files.readAllLines(dir.resolve("audit.jsonl"));
    assertThat(audit.get(audit.size() - 1)).contains("\"event\":\"server.stopped\"");
    assertThat(audit).anyMatch(l -> l.contains("\"outcome\":\"server-shutdown\""));
  }
}
