package dev.authgate.client.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The unattended modes as a machine runs them, in both clients (auth-client and the Python client,
 * one scenario each, the same assertions), against a server process that is killed with SIGKILL and
 * restarted on the same port: {@code upload --watch} and {@code chat --json --reconnect}, with a
 * Java member in the room. The Python runs are skipped where python3 or its cryptography package is
 * missing.
 */
class UnattendedClientsIT {
  private static final Path PYTHON_PROJECT =
      Path.of("..", "clients", "python").toAbsolutePath().normalize();
  private static final Duration WAIT = Duration.ofSeconds(90);

  /** The two machine clients, started as a machine's script starts them. */
  enum Client {
    JAVA(200) {
      @Override
      List<String> command(List<String> args) {
        return Jars.client(List.of(), args.toArray(String[]::new));
      }

      @Override
      String duration(Duration d) {
        return d.toMillis() + "ms";
      }
    },
    PYTHON(60) {
      @Override
      List<String> command(List<String> args) {
        List<String> command = new ArrayList<>(List.of("python3", "-m", "authgate"));
        command.addAll(args);
        return command;
      }

      @Override
      String duration(Duration d) {
        return Double.toString(d.toMillis() / 1000.0); // the Python client takes seconds
      }

      @Override
      void prepare(ProcessBuilder builder) {
        builder.environment().put("PYTHONPATH", PYTHON_PROJECT.toString());
        builder.environment().put("PYTHONDONTWRITEBYTECODE", "1");
        builder.environment().put("PYTHONUNBUFFERED", "1");
      }

      @Override
      void assumeInstalled() throws Exception {
        Process probe = new ProcessBuilder("python3", "-c", "import cryptography").start();
        boolean ok;
        try {
          ok = probe.waitFor(60, TimeUnit.SECONDS) && probe.exitValue() == 0;
        } finally {
          probe.destroyForcibly();
        }
        assumeTrue(
            ok,
            "python3 with the cryptography package is not installed: the Python client is not"
                + " tested (apt-get install python3-cryptography)");
      }
    };

    /** Files dropped into the watched folder while the server is killed twice. */
    final int files;

    Client(int files) {
      this.files = files;
    }

    abstract List<String> command(List<String> args);

    /** {@code d} as this client's options write a duration. */
    abstract String duration(Duration d);

    void prepare(ProcessBuilder builder) {}

    void assumeInstalled() throws Exception {}
  }

  @TempDir Path dir;
  private SamePortServer server;
  private final List<Process> clients = new ArrayList<>();

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

  /** Starts {@code client} with {@code args}: stderr to NAME.err, stdout to NAME.out or a pipe. */
  private Process start(Client client, String name, boolean pipeOut, String... args)
      throws Exception {
    client.assumeInstalled();
    ProcessBuilder builder =
        new ProcessBuilder(client.command(List.of(args)))
            .directory(dir.toFile())
            .redirectError(dir.resolve(name + ".err").toFile());
    if (!pipeOut) {
      builder.redirectOutput(dir.resolve(name + ".out").toFile());
    }
    client.prepare(builder);
    Process process = builder.start();
    clients.add(process);
    return process;
  }

  private static List<String> names(Path folder) throws IOException {
    try (Stream<Path> files = Files.list(folder)) {
      return files.map(f -> f.getFileName().toString()).sorted().toList();
    }
  }

  @ParameterizedTest
  @EnumSource(Client.class)
  void filesDroppedWhileTheServerIsKilledTwiceAreEachStoredOnceAndTheFolderEmpties(Client client)
      throws Exception {
    client.assumeInstalled();
    Jars.provision(dir, "m1");
    Path outbox = Files.createDirectories(dir.resolve("outbox"));
    Path staging = Files.createDirectories(dir.resolve("staging"));
    server = SamePortServer.start(dir);
    Process watcher =
        start(
            client,
            "watch",
            false,
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
            // 20× the slow writer's pauses below: only a 2 s stall looks settled
            client.duration(Duration.ofSeconds(2)),
            "--poll",
            client.duration(Duration.ofMillis(100)));
    int n = client.files;
    List<byte[]> contents =
        new Outbox(staging, outbox)
            .dropWhileRestarting("data", n, 400_000, server, n * 35 / 100, n * 70 / 100);
    // One file is still being written when the rest are done: it must not be sent half.
    Path slow = outbox.resolve("slow.log");
    StringBuilder written = new StringBuilder();
    try (OutputStream out = Files.newOutputStream(slow)) {
      for (int i = 0; i < 15; i++) {
        String line = "reading " + i + "\n";
        out.write(line.getBytes(StandardCharsets.UTF_8));
        out.flush();
        written.append(line);
        Thread.sleep(100);
      }
    }

    await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> names(outbox).isEmpty());
    Outbox.assertStored(dir.resolve("uploads/m1"), "data", contents);
    Outbox.assertStored(dir.resolve("sent"), "data", contents);
    assertThat(Files.readString(dir.resolve("uploads/m1/slow.log"))).isEqualTo(written.toString());
    assertThat(names(dir.resolve("uploads/m1"))).hasSize(n + 1);
    assertThat(names(dir.resolve("sent"))).hasSize(n + 1);
    assertThat(watcher.isAlive()).as("the watcher keeps running").isTrue();

    watcher.destroy(); // SIGTERM
    assertThat(watcher.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(watcher.exitValue()).isEqualTo(143);
    List<String> storedLines =
        Files.readAllLines(dir.resolve("watch.out")).stream()
            .filter(l -> l.startsWith("stored "))
            .toList();
    assertThat(storedLines).hasSize(n + 1);
  }

  @ParameterizedTest
  @EnumSource(Client.class)
  void aReconnectingChatLosesNoLineItReportedSentAcrossAServerKillAndEndsOnRevocation(Client client)
      throws Exception {
    client.assumeInstalled();
    Jars.provision(dir, "m1");
    Jars.provision(dir, "ear");
    server = SamePortServer.start(dir);
    Process chat =
        start(
            client,
            "chat",
            true,
            "chat",
            "--server",
            server.address(),
            "--key",
            "m1.credential",
            "--json",
            "--reconnect");
    Seen out = new Seen(chat);
    OutputStream in = chat.getOutputStream();
    await().atMost(WAIT).until(() -> out.has("\"type\":\"joined\""));

    Process ear = earOn();
    Seen heard = new Seen(ear);
    await().atMost(WAIT).until(() -> heard.has("\"type\":\"joined\""));
    for (int i = 1; i <= 20; i++) {
      say(in, "before " + i);
    }
    await().atMost(WAIT).until(() -> out.sent().size() >= 20);

    server.kill();
    ear.waitFor(30, TimeUnit.SECONDS);
    for (int i = 1; i <= 10; i++) {
      say(in, "during " + i);
    }
    await().atMost(WAIT).until(() -> out.has("\"type\":\"disconnected\""));
    server.startAgain();
    await().atMost(WAIT).until(() -> out.has("\"type\":\"reconnected\""));
    Process ear2 = earOn();
    Seen heard2 = new Seen(ear2);
    await().atMost(WAIT).until(() -> heard2.has("\"type\":\"joined\""));
    for (int i = 1; i <= 10; i++) {
      say(in, "after " + i);
    }
    await().atMost(WAIT).until(() -> out.sent().size() >= 40);

    Set<String> received = new HashSet<>(heard.heard());
    // The lines sent while the ear was away are in the room's history when it joins.
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              received.addAll(heard2.heard());
              assertThat(received)
                  .as("every line the client reported as sent reached the room")
                  .containsAll(out.sent());
            });
    assertThat(out.sent()).doesNotHaveDuplicates().hasSize(40);

    assertThat(Jars.run(dir, Jars.server(List.of(), "keys", "revoke", "m1", "--keys", "keys")))
        .isZero();
    assertThat(chat.waitFor(60, TimeUnit.SECONDS)).as("ended by the revocation").isTrue();
    assertThat(chat.exitValue()).isEqualTo(3);
    assertThat(Files.readString(dir.resolve("chat.err"))).contains("revoked");
  }

  private Process earOn() throws IOException {
    Process ear = Jars.jsonChat(dir, server.address(), "ear");
    clients.add(ear);
    return ear;
  }

  private static void say(OutputStream in, String line) throws IOException {
    in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    in.flush();
  }
}
