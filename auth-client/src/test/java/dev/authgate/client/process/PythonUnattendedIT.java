package dev.authgate.client.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Python client's unattended modes against the real Java server, killed with SIGKILL and
 * restarted on the same port: {@code upload --watch} and {@code chat --json --reconnect} (with a
 * Java member in the room). Skipped where python3 or its cryptography package is missing.
 */
class PythonUnattendedIT {
  private static final Path PROJECT =
      Path.of("..", "clients", "python").toAbsolutePath().normalize();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir Path dir;
  private SamePortServer server;
  private final List<Process> clients = new ArrayList<>();

  @BeforeAll
  static void pythonWithCryptography() throws Exception {
    Process probe = new ProcessBuilder("python3", "-c", "import cryptography").start();
    boolean ok;
    try {
      ok = probe.waitFor(60, TimeUnit.SECONDS) && probe.exitValue() == 0;
    } finally {
      probe.destroyForcibly();
    }
    assumeTrue(
        ok,
        "python3 with the cryptography package is not installed: the Python client is not tested"
            + " (apt-get install python3-cryptography)");
  }

  @AfterEach
  void stopAll() throws InterruptedException {
    for (Process client : clients) {
      client.destroyForcibly();
      client.waitFor(30, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.close();
    }
  }

  /**
   * {@code python3 -m authgate args}; stderr to NAME.err, stdout a pipe (or NAME.out for watch).
   */
  private Process python(String name, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of("python3", "-m", "authgate"));
    command.addAll(List.of(args));
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectError(dir.resolve(name + ".err").toFile());
    builder.environment().put("PYTHONPATH", PROJECT.toString());
    builder.environment().put("PYTHONDONTWRITEBYTECODE", "1");
    builder.environment().put("PYTHONUNBUFFERED", "1");
    if (name.equals("watch")) {
      builder.redirectOutput(dir.resolve(name + ".out").toFile());
    }
    Process process = builder.start();
    clients.add(process);
    return process;
  }

  private static List<String> names(Path folder) throws IOException {
    try (Stream<Path> files = Files.list(folder)) {
      return files.map(f -> f.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void pythonWatchStoresEveryFileOnceAcrossAServerKillAndStopsOnSigterm() throws Exception {
    Jars.provision(dir, "m1");
    Path outbox = Files.createDirectories(dir.resolve("outbox"));
    Path staging = Files.createDirectories(dir.resolve("staging"));
    server = SamePortServer.start(dir);
    Process watcher =
        python(
            "watch",
            "upload",
            "--server",
            server.address(),
            "--key",
            "m1.credential",
            "--watch",
            "outbox",
            "--done",
            "sent",
            "--settle",
            "0.3",
            "--poll",
            "0.1");
    List<byte[]> contents =
        new Outbox(staging, outbox).dropWhileRestarting("py", 60, 300_000, server, 20, 40);

    await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> names(outbox).isEmpty());
    Outbox.assertStored(dir.resolve("uploads/m1"), "py", contents);
    assertThat(names(dir.resolve("uploads/m1"))).hasSize(60);
    assertThat(names(dir.resolve("sent"))).hasSize(60);

    watcher.destroy(); // SIGTERM
    assertThat(watcher.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(watcher.exitValue()).isEqualTo(143);
    String out = Files.readString(dir.resolve("watch.out"));
    assertThat(out.lines().filter(l -> l.startsWith("stored py-"))).hasSize(60);
  }

  @Test
  void pythonReconnectingChatLosesNoSentLineAcrossAServerKillAndEndsWithExit3OnRevocation()
      throws Exception {
    Jars.provision(dir, "py");
    Jars.provision(dir, "java");
    server = SamePortServer.start(dir);
    Process chat =
        python(
            "chat",
            "chat",
            "--server",
            server.address(),
            "--key",
            "py.credential",
            "--json",
            "--reconnect");
    Seen out = new Seen(chat);
    OutputStream in = chat.getOutputStream();
    await().atMost(WAIT).until(() -> out.has("\"type\":\"joined\""));
    Process java = javaMember();
    Seen heard = new Seen(java);
    await().atMost(WAIT).until(() -> heard.has("\"type\":\"joined\""));
    for (int i = 1; i <= 15; i++) {
      say(in, "before " + i);
    }
    await().atMost(WAIT).until(() -> out.sent().size() >= 15);

    server.killAndRestart();
    for (int i = 1; i <= 10; i++) {
      say(in, "during " + i);
    }
    await().atMost(WAIT).until(() -> out.has("\"type\":\"reconnected\""));
    assertThat(out.has("\"type\":\"disconnected\"")).isTrue();
    Process java2 = javaMember();
    Seen heard2 = new Seen(java2);
    await().atMost(WAIT).until(() -> heard2.has("\"type\":\"joined\""));
    for (int i = 1; i <= 5; i++) {
      say(in, "after " + i);
    }
    await().atMost(WAIT).until(() -> out.sent().size() >= 30);

    Set<String> received = new HashSet<>();
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              received.addAll(heard.heard());
              received.addAll(heard2.heard());
              assertThat(received)
                  .as("every line the Python client reported as sent reached the Java member")
                  .containsAll(out.sent());
            });
    assertThat(out.sent()).doesNotHaveDuplicates().hasSize(30);

    assertThat(Jars.run(dir, Jars.server(List.of(), "keys", "revoke", "py", "--keys", "keys")))
        .isZero();
    assertThat(chat.waitFor(60, TimeUnit.SECONDS)).as("ended by the revocation").isTrue();
    assertThat(chat.exitValue()).isEqualTo(3);
  }

  private Process javaMember() throws IOException {
    Process member = Jars.jsonChat(dir, server.address(), "java");
    clients.add(member);
    return member;
  }

  private static void say(OutputStream in, String line) throws IOException {
    in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    in.flush();
  }
}
