package dev.authgate.client.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The unattended modes as a machine runs them, against a server process that is killed with SIGKILL
 * and restarted on the same port: {@code upload --watch} and {@code chat --json --reconnect}.
 */
class UnattendedClientProcessIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(90);

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

  private Process client(Path out, Path err, String... args) throws IOException {
    List<String> command = new ArrayList<>(Jars.client(List.of(), args));
    Process process =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .start();
    clients.add(process);
    return process;
  }

  private List<String> names(Path folder) throws IOException {
    try (Stream<Path> files = Files.list(folder)) {
      return files.map(f -> f.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void twoHundredFilesDroppedWhileTheServerIsKilledTwiceAreEachStoredOnceAndTheFolderEmpties()
      throws Exception {
    Jars.provision(dir, "m1");
    Path outbox = Files.createDirectories(dir.resolve("outbox"));
    Path staging = Files.createDirectories(dir.resolve("staging"));
    server = SamePortServer.start(dir);
    Process watcher =
        client(
            dir.resolve("watch.out"),
            dir.resolve("watch.err"),
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
            "2s", // 20× the slow writer's pauses below: only a 2 s stall looks settled
            "--poll",
            "100ms");
    List<byte[]> contents =
        new Outbox(staging, outbox).dropWhileRestarting("data", 200, 400_000, server, 70, 140);
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
    assertThat(names(dir.resolve("uploads/m1"))).hasSize(201);
    assertThat(names(dir.resolve("sent"))).hasSize(201);
    List<String> storedLines =
        Files.readAllLines(dir.resolve("watch.out")).stream()
            .filter(l -> l.startsWith("stored "))
            .toList();
    assertThat(storedLines).hasSize(201);
    assertThat(watcher.isAlive()).as("the watcher keeps running").isTrue();

    watcher.destroy(); // SIGTERM
    assertThat(watcher.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(watcher.exitValue()).isEqualTo(143);
  }

  @Test
  void aReconnectingChatLosesNoLineItReportedSentAcrossAServerKillAndEndsOnRevocation()
      throws Exception {
    Jars.provision(dir, "m1");
    Jars.provision(dir, "ear");
    server = SamePortServer.start(dir);
    Process chat =
        new ProcessBuilder(
                Jars.client(
                    List.of(),
                    "chat",
                    "--server",
                    server.address(),
                    "--key",
                    "m1.credential",
                    "--json",
                    "--reconnect"))
            .directory(dir.toFile())
            .redirectError(dir.resolve("chat.err").toFile())
            .start();
    clients.add(chat);
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
