package dev.authgate.client.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.authgate.client.download.Downloader;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code list} and {@code get} as machines run them, against a server process: who sees what, a
 * fetching process killed with SIGKILL and run again, and a poll that transfers nothing.
 */
class DownloadProcessIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private Jars.Server server;

  @BeforeEach
  void start() throws Exception {
    Jars.provision(dir, "m1");
    Jars.provision(dir, "m2");
    server = Jars.serve(dir, List.of(), Jars.serveArgs("--published", "published"));
  }

  @AfterEach
  void stop() throws InterruptedException {
    server.process().destroy();
    server.process().waitFor(30, TimeUnit.SECONDS);
  }

  private Process client(String id, Path output, String... args) throws Exception {
    List<String> command =
        new ArrayList<>(
            List.of(args[0], "--server", server.address(), "--key", id + ".credential"));
    command.addAll(List.of(args).subList(1, args.length));
    return new ProcessBuilder(Jars.client(List.of(), command.toArray(String[]::new)))
        .directory(dir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(output.toFile())
        .start();
  }

  private String run(String id, String... args) throws Exception {
    Path output = dir.resolve("run-" + System.nanoTime() + ".out");
    Process process = client(id, output, args);
    assertThat(process.waitFor(180, TimeUnit.SECONDS)).isTrue();
    return process.exitValue() + " " + Files.readString(output);
  }

  private Path publish(String owner, String name, long size) throws Exception {
    Path file = Files.createDirectories(dir.resolve("published").resolve(owner)).resolve(name);
    byte[] chunk = new byte[1 << 20];
    new Random(size).nextBytes(chunk);
    try (OutputStream out = Files.newOutputStream(file)) {
      for (long left = size; left > 0; left -= chunk.length) {
        out.write(chunk, 0, (int) Math.min(chunk.length, left));
      }
    }
    return file;
  }

  @Test
  void eachMachineSeesItsOwnAndTheSharedFilesAndNothingElse() throws Exception {
    publish("m1", "m1.conf", 100);
    publish("_all", "shared.pem", 200);
    Files.createDirectories(dir.resolve("m2-etc"));

    JsonNode m1 = JSON.readTree(run("m1", "list", "--json").substring(2));
    JsonNode m2 = JSON.readTree(run("m2", "list", "--json").substring(2));
    assertThat(m1.findValuesAsText("name")).containsExactly("m1.conf", "shared.pem");
    assertThat(m2.findValuesAsText("name")).containsExactly("shared.pem");

    assertThat(run("m2", "get", "--out", "m2-etc", "m1.conf")).startsWith("5 refused m1.conf: ");
    assertThat(run("m2", "get", "--out", "m2-etc", "shared.pem"))
        .startsWith("0 fetched shared.pem: ");
    assertThat(run("m2", "get", "--out", "m2-etc", "../published/m1/m1.conf")).startsWith("2 ");
    assertThat(dir.resolve("m2-etc/shared.pem"))
        .hasSameBinaryContentAs(dir.resolve("published/_all/shared.pem"));
  }

  @Test
  void aFetchKilledMidwayResumesByteIdenticalAndAPollAfterwardsTransfersNothing() throws Exception {
    Path image = publish("m1", "image.bin", 300L << 20);
    Path etc = Files.createDirectories(dir.resolve("etc"));
    Path staging = Downloader.stagingFile(etc, "image.bin");
    Process first = client("m1", dir.resolve("first.out"), "get", "--out", "etc", "image.bin");
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(5))
        .until(() -> Files.exists(staging) && Files.size(staging) > 8 << 20);
    first.destroyForcibly();
    assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(etc.resolve("image.bin")).as("a partial never has the final name").doesNotExist();
    long kept = Files.size(staging);

    String resumed = run("m1", "get", "--out", "etc", "--resume", "image.bin");
    assertThat(resumed)
        .startsWith("0 fetched image.bin: " + (300L << 20) + " bytes (resumed from ");
    assertThat(Files.mismatch(image, etc.resolve("image.bin"))).isEqualTo(-1);
    assertThat(staging).doesNotExist();
    assertThat(Files.readString(dir.resolve("audit.jsonl"))).contains("\"resumed_from\":");
    assertThat(kept).isPositive();

    String poll = run("m1", "get", "--out", "etc", "--if-changed", "image.bin");
    assertThat(poll).startsWith("0 unchanged image.bin: ");
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                Files.readString(dir.resolve("audit.jsonl"))
                    .contains("\"event\":\"download.skipped\""));
    try (Stream<Path> files = Files.list(etc)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly("image.bin");
    }
  }
}
