package dev.authgate.client.process;

import static org.assertj.core.api.Assertions.assertThat;

import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.keyfile.KeyFiles;
import dev.authgate.server.keystore.KeystoreDirectory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/OPERATIONS.md ("Bursts") promises that 100 client processes started at once on one address
 * all get in with the server's default caps: here 50 uploads and 50 chat members, each a machine of
 * its own, start together against a server on its defaults, on whatever this machine is doing.
 */
class BurstProcessIT {
  private static final int EACH = 50;

  @TempDir Path dir;
  private Jars.Server server;
  private final List<Process> clients = new ArrayList<>();
  private List<String> cds;

  @BeforeEach
  void fleet() throws Exception {
    cds =
        Runtime.version().feature() < 19
            ? List.of()
            : List.of(
                "-XX:SharedArchiveFile=" + dir.resolve("client.jsa"),
                "-XX:+AutoCreateSharedArchive",
                "-Xlog:cds=off",
                "-Xlog:cds+dynamic=off");
    Jars.provision(dir, "u0"); // the keystore and its host key, as an operator makes them
    KeystoreDirectory keys =
        new KeystoreDirectory(dir.resolve("keys"), Clock.systemUTC(), RandomSource.secure());
    for (int i = 0; i < EACH; i++) {
      for (String id : List.of("u" + i, "c" + i)) {
        if (!id.equals("u0")) {
          Credential credential = keys.add(id);
          KeyFiles.writePrivate(dir.resolve(id + ".credential"), credential.format(), false);
        }
      }
      Files.writeString(dir.resolve("reading-" + i + ".csv"), ("t,21." + i + "\n").repeat(5_000));
    }
    server = Jars.serve(dir, List.of(), Jars.serveArgs());
    // As the installed launcher runs a client: from a class-data archive its first run made (one
    // ping here, so the burst's processes start the way a fleet's do after the first day).
    assertThat(
            Jars.run(
                dir,
                Jars.client(cds, "ping", "--server", server.address(), "--key", "u0.credential")))
        .isZero();
  }

  @AfterEach
  void stop() throws InterruptedException {
    for (Process client : clients) {
      client.destroyForcibly();
    }
    server.process().destroy();
    server.process().waitFor(30, TimeUnit.SECONDS);
  }

  private Process start(String id, String... args) throws IOException {
    List<String> command =
        new ArrayList<>(
            List.of(args[0], "--server", server.address(), "--key", id + ".credential"));
    command.addAll(List.of(args).subList(1, args.length));
    Process process =
        new ProcessBuilder(Jars.client(cds, command.toArray(String[]::new)))
            .directory(dir.toFile())
            .redirectOutput(dir.resolve(id + ".out").toFile())
            .redirectError(dir.resolve(id + ".err").toFile())
            .start();
    clients.add(process);
    return process;
  }

  @Test
  void fiftyUploadsAndFiftyChatMembersStartedAtOnceOnOneAddressAllGetIn() throws Exception {
    long start = System.nanoTime();
    List<Process> uploads = new ArrayList<>();
    List<Process> chats = new ArrayList<>();
    for (int i = 0; i < EACH; i++) {
      uploads.add(start("u" + i, "upload", "reading-" + i + ".csv"));
      chats.add(start("c" + i, "chat", "--json"));
    }

    List<String> failed = new ArrayList<>();
    for (int i = 0; i < EACH; i++) {
      Process upload = uploads.get(i);
      assertThat(upload.waitFor(5, TimeUnit.MINUTES)).as("upload %d finished", i).isTrue();
      if (upload.exitValue() != 0) {
        failed.add("u" + i + " exit " + upload.exitValue() + ": " + said("u" + i));
      }
    }
    for (int i = 0; i < EACH; i++) {
      String id = "c" + i;
      long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
      while (!said(id).contains("\"type\":\"joined\"")
          && chats.get(i).isAlive()
          && System.nanoTime() < end) {
        Thread.sleep(100);
      }
      if (!said(id).contains("\"type\":\"joined\"")) {
        failed.add(id + ": " + said(id));
      }
      chats.get(i).getOutputStream().close(); // end of input: the member leaves
    }
    assertThat(failed).as("clients that did not get in").isEmpty();
    System.err.printf(
        "BurstProcessIT: %d uploads stored and %d members joined, all within %.1f s%n",
        EACH, EACH, (System.nanoTime() - start) / 1e9);
    for (int i = 0; i < EACH; i++) {
      assertThat(dir.resolve("uploads/u" + i + "/reading-" + i + ".csv"))
          .hasSameBinaryContentAs(dir.resolve("reading-" + i + ".csv"));
      assertThat(chats.get(i).waitFor(2, TimeUnit.MINUTES)).isTrue();
      assertThat(chats.get(i).exitValue()).as("chat %d left cleanly", i).isZero();
    }
  }

  private String said(String id) throws IOException {
    Path out = dir.resolve(id + ".out");
    Path err = dir.resolve(id + ".err");
    return (Files.exists(out) ? Files.readString(out, StandardCharsets.UTF_8) : "")
        + (Files.exists(err) ? Files.readString(err, StandardCharsets.UTF_8) : "");
  }
}
