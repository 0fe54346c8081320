package dev.authgate.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.authgate.server.connection.ServerConfig;
import dev.authgate.server.testing.TestServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code auth-client list} and {@code get}: tables, JSON, result lines and exit codes. */
class DownloadCommandsTest {
  @TempDir Path dir;
  TestServer server;
  Path key;
  Path out;

  @BeforeEach
  void start() throws IOException {
    server = TestServer.start(dir.resolve("server"));
    server.provision("sensor-1");
    key = server.credentialFile("sensor-1");
    out = Files.createDirectories(dir.resolve("etc"));
    Files.createDirectories(dir.resolve("server/published/sensor-1"));
    Files.createDirectories(dir.resolve("server/published/_all"));
    Files.writeString(dir.resolve("server/published/sensor-1/agent.conf"), "interval=60\n");
    Files.writeString(dir.resolve("server/published/_all/ca.pem"), "-----BEGIN CERTIFICATE-----\n");
  }

  @AfterEach
  void stop() throws IOException {
    server.close();
  }

  private CliRun run(String command, String... extra) {
    List<String> args =
        new ArrayList<>(List.of(command, "--server", server.hostPort(), "--key", key.toString()));
    args.addAll(List.of(extra));
    return CliRun.client(args.toArray(String[]::new));
  }

  @Test
  void listShowsATableOfOwnAndSharedFiles() {
    CliRun list = run("list");

    assertThat(list.exit()).isZero();
    assertThat(list.out().lines())
        .hasSize(3)
        .satisfies(l -> assertThat(l.get(0)).startsWith("NAME ").contains("SIZE").endsWith("FROM"))
        .satisfies(
            l -> assertThat(l.get(1)).startsWith("agent.conf ").contains(" 12 ").endsWith("own"))
        .satisfies(l -> assertThat(l.get(2)).startsWith("ca.pem ").endsWith("shared"));
  }

  @Test
  void listJsonIsOneArrayWithFullHashes() throws IOException {
    CliRun list = run("list", "--json");

    JsonNode array = new ObjectMapper().readTree(list.out());
    assertThat(array.isArray()).isTrue();
    assertThat(array).hasSize(2);
    assertThat(array.get(0).path("name").asText()).isEqualTo("agent.conf");
    assertThat(array.get(0).path("size").asLong()).isEqualTo(12);
    assertThat(array.get(0).path("sha256").asText()).hasSize(64);
    assertThat(array.get(0).path("modified").asText()).endsWith("Z");
    assertThat(array.get(1).path("shared").asBoolean()).isTrue();
  }

  @Test
  void getFetchesIntoOutAndIfChangedSaysUnchangedTheSecondTime() throws IOException {
    CliRun get = run("get", "--out", out.toString(), "agent.conf", "ca.pem");
    assertThat(get.exit()).as(get.err()).isZero();
    assertThat(get.out().lines())
        .hasSize(2)
        .anySatisfy(l -> assertThat(l).startsWith("fetched agent.conf: 12 bytes, sha256 "))
        .anySatisfy(l -> assertThat(l).startsWith("fetched ca.pem: "));
    assertThat(out.resolve("agent.conf")).hasContent("interval=60");

    CliRun again = run("get", "--out", out.toString(), "--if-changed", "agent.conf");
    assertThat(again.exit()).isZero();
    assertThat(again.out()).startsWith("unchanged agent.conf: 12 bytes, sha256 ");
  }

  @Test
  void aMissingFileExitsFiveWithTheReasonAndTheOthersAreStillFetched() {
    CliRun get = run("get", "--out", out.toString(), "nope.bin", "agent.conf");

    assertThat(get.exit()).isEqualTo(5);
    assertThat(get.out())
        .contains("refused nope.bin: 'nope.bin' is not published for this client [not-found]\n")
        .contains("fetched agent.conf: ");
  }

  @Test
  void aListingTheServerCannotReadExitsFiveWithTheReasonNotNoFiles() throws IOException {
    server.close();
    // a published tree the server refuses to read (it holds the keystore): its listing fails
    Path keys = dir.resolve("server/keys");
    server =
        TestServer.withKeys(
            dir.resolve("server2"),
            keys,
            ServerConfig.loopback(0, dir.resolve("server2/uploads")).withPublished(keys));

    for (String[] extra : new String[][] {{}, {"--json"}}) {
      CliRun list = run("list", extra);

      assertThat(list.exit()).as(list.err()).isEqualTo(5);
      assertThat(list.out()).isEmpty();
      assertThat(list.err())
          .isEqualTo(
              "auth-client: the server could not list its files: the server cannot read its"
                  + " published files now (its audit log says why) [storage-error]\n");
    }
    assertThat(
            server
                .awaitEvent(
                    "download.failed", e -> e.path("reason").asText().equals("storage-error"))
                .path("detail")
                .asText())
        .contains("overlaps the keystore");
  }

  @Test
  void aNameThatCouldNeverBePublishedIsAUsageError() {
    CliRun get = run("get", "--out", out.toString(), "../keys/sensor-1.key");

    assertThat(get.exit()).isEqualTo(2);
    assertThat(get.err())
        .startsWith("auth-client: '../keys/sensor-1.key' is not a published file name");
    assertThat(server.events("auth.accepted")).as("nothing was sent").isEmpty();
  }

  @Test
  void aMissingOutputDirectoryIsSaidBeforeConnecting() {
    CliRun get = run("get", "--out", dir.resolve("nowhere").toString(), "agent.conf");

    assertThat(get.exit()).isEqualTo(1);
    assertThat(get.err()).contains("nowhere: no such directory");
  }
}
