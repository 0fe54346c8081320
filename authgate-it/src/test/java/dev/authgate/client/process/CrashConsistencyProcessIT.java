package dev.authgate.client.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The server killed with SIGKILL mid-upload, and frozen with SIGSTOP mid-chat, as real processes:
 * nothing half-written becomes visible, the audit log has no torn line, the upload resumes
 * byte-identical after a restart on the same directories, and a chat carries on after SIGCONT.
 */
class CrashConsistencyProcessIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  private Jars.Server serve() throws IOException {
    return Jars.serve(dir, List.of(), Jars.serveArgs("--uploads", "uploads"));
  }

  private Path bigFile(long size) throws IOException {
    Path file = dir.resolve("big.bin");
    byte[] chunk = new byte[1 << 20];
    new Random(size).nextBytes(chunk);
    try (OutputStream out = Files.newOutputStream(file)) {
      for (long left = size; left > 0; left -= chunk.length) {
        out.write(chunk, 0, (int) Math.min(chunk.length, left));
      }
    }
    return file;
  }

  private Process upload(String address, String... extra) throws IOException {
    List<String> command =
        new java.util.ArrayList<>(
            Jars.client(List.of(), "upload", "--server", address, "--key", "s1.credential"));
    command.addAll(List.of(extra));
    command.add("big.bin");
    return new ProcessBuilder(command)
        .directory(dir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("upload-" + System.nanoTime() + ".out").toFile())
        .start();
  }

  private boolean partialGrowing() throws IOException {
    Path clientDir = dir.resolve("uploads/s1");
    if (!Files.isDirectory(clientDir)) {
      return false;
    }
    try (Stream<Path> files = Files.list(clientDir)) {
      return files.anyMatch(
          f ->
              f.getFileName().toString().startsWith(".authgate-part-")
                  && f.toFile().length() > 1 << 20);
    }
  }

  /**
   * {@code command} with SIGINT handled by default: a build started in the background of a
   * non-interactive shell inherits SIGINT ignored, and a JVM keeps an ignored SIGINT ignored, so
   * Ctrl-C would do nothing to the client (coreutils' {@code env --default-signal}).
   */
  private static List<String> interruptible(List<String> command) {
    List<String> withDefault = new java.util.ArrayList<>(List.of("env", "--default-signal=INT"));
    withDefault.addAll(command);
    return withDefault;
  }

  /** The bytes of the partial upload on the server so far (0 if none). */
  private long partialBytes() throws IOException {
    try (Stream<Path> files = Files.list(dir.resolve("uploads/s1"))) {
      return files
          .filter(f -> f.getFileName().toString().startsWith(".authgate-part-"))
          .mapToLong(f -> f.toFile().length())
          .sum();
    }
  }

  private void assertEveryAuditLineParses() throws IOException {
    for (String line : Files.readAllLines(dir.resolve("audit.jsonl"))) {
      assertThat(JSON.readTree(line).isObject()).as(line).isTrue();
    }
  }

  @Test
  void aServerKilledMidUploadShowsNothingHalfWrittenAndTheUploadResumesAfterARestart()
      throws Exception {
    Jars.provision(dir, "s1");
    Path file = bigFile(200L << 20);
    Jars.Server first = serve();
    Process client = upload(first.address());
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(5))
        .until(this::partialGrowing);

    first.process().destroyForcibly();
    assertThat(first.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(client.waitFor(60, TimeUnit.SECONDS)).isTrue();

    assertThat(client.exitValue()).as("the client lost its server").isEqualTo(4);
    assertThat(dir.resolve("uploads/s1/big.bin")).doesNotExist();
    assertEveryAuditLineParses();

    Jars.Server second = serve();
    try {
      Process resumed = upload(second.address(), "--resume");
      assertThat(resumed.waitFor(120, TimeUnit.SECONDS)).isTrue();
      assertThat(resumed.exitValue()).isZero();
      assertThat(Files.mismatch(file, dir.resolve("uploads/s1/big.bin"))).isEqualTo(-1);
      assertThat(Files.readString(dir.resolve("audit.jsonl"))).contains("\"resumed_from\":");
      assertEveryAuditLineParses();
    } finally {
      second.process().destroy();
      second.process().waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** The two clients, each as a user starts it, with the name it signs its lines with. */
  enum Client {
    JAVA("auth-client"),
    PYTHON("authgate");

    final String name;

    Client(String name) {
      this.name = name;
    }

    ProcessBuilder upload(Path dir, String address) throws Exception {
      List<String> args = List.of("upload", "--server", address, "--key", "s1.credential");
      List<String> command = new java.util.ArrayList<>();
      if (this == JAVA) {
        command.addAll(Jars.client(List.of(), args.toArray(String[]::new)));
      } else {
        assumeTrue(
            PythonClientIT.python(dir, "-c", "import cryptography").exit() == 0,
            "python3 with the cryptography package is not installed");
        command.addAll(List.of("python3", "-m", "authgate"));
        command.addAll(args);
      }
      command.add("big.bin");
      ProcessBuilder builder = new ProcessBuilder(interruptible(command)).directory(dir.toFile());
      builder.environment().put("PYTHONPATH", PythonClientIT.PROJECT.toString());
      builder.environment().put("PYTHONDONTWRITEBYTECODE", "1");
      return builder;
    }
  }

  /**
   * Ctrl-C mid-upload, in either client: it stops after a chunk and ends the session with CLOSE,
   * says what the server kept (exactly what the audit log says), and the same command resumes.
   */
  @ParameterizedTest
  @EnumSource(Client.class)
  void ctrlCMidUploadSaysWhatTheServerKeptAndTheSameCommandResumes(Client user) throws Exception {
    Jars.provision(dir, "s1");
    Path file = bigFile(200L << 20);
    Jars.Server server = serve();
    try {
      Path output = dir.resolve("interrupted.out");
      Process client =
          user.upload(dir, server.address())
              .redirectErrorStream(true)
              .redirectOutput(output.toFile())
              .start();
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(5))
          .until(this::partialGrowing);
      // Ctrl-C while most of the file is still to send, however late this busy machine noticed
      // the upload: the client is stopped, interrupted, then let go, so its signal handler runs
      // long before the rest of 200 MiB could be sent (else the upload may finish first: exit 0).
      signal("STOP", client);
      assertThat(partialBytes())
          .as("stopped with most of the file still to send")
          .isLessThan(Files.size(file) / 2);
      signal("INT", client);
      signal("CONT", client);
      assertThat(client.waitFor(30, TimeUnit.SECONDS)).isTrue();

      assertThat(client.exitValue()).isEqualTo(130);
      // It stops after a chunk and ends the session with CLOSE: the server has exactly what the
      // client says, audits an interrupted upload of a closed session (not a cut frame, not
      // "malformed", no penalty), and the JVM's own "Shutdown in progress" never shows.
      String said = Files.readString(output);
      Matcher kept =
          Pattern.compile(
                  user.name
                      + ": interrupted while sending big\\.bin: the server keeps the (\\d+)"
                      + " of 209715200 bytes it received and verified; run the same command again"
                      + " to continue from there\n")
              .matcher(said);
      assertThat(kept.find()).as(said).isTrue();
      assertThat(said)
          .as("no blank line first: stderr is a file, not a terminal")
          .startsWith(user.name + ": ");
      assertThat(said)
          .doesNotContain("Shutdown in progress")
          .doesNotContain("Exception")
          .doesNotContain("Traceback");
      String interrupted =
          "\"reason\":\"interrupted\",\"detail\":\"connection ended (closed); "
              + kept.group(1)
              + " bytes kept for --resume\"";
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> Files.readString(dir.resolve("audit.jsonl")).contains(interrupted));
      assertThat(Files.readString(dir.resolve("audit.jsonl")))
          .doesNotContain("malformed")
          .doesNotContain("penali");

      Process again =
          user.upload(dir, server.address())
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("again.out").toFile())
              .start();
      assertThat(again.waitFor(120, TimeUnit.SECONDS)).isTrue();
      assertThat(again.exitValue()).as(Files.readString(dir.resolve("again.out"))).isZero();
      assertThat(Files.mismatch(file, dir.resolve("uploads/s1/big.bin"))).isEqualTo(-1);
      assertThat(Files.readString(dir.resolve("audit.jsonl"))).contains("\"resumed_from\":");
    } finally {
      server.process().destroy();
      server.process().waitFor(30, TimeUnit.SECONDS);
    }
  }

  /**
   * Ctrl-C after the last chunk went out, while the server's answer is on its way: the upload is
   * not interrupted but finished, and the client says what the server answered (stored), never
   * "interrupted … run the same command again" about a file the server has.
   */
  @ParameterizedTest
  @EnumSource(Client.class)
  void ctrlCAfterTheLastChunkReportsTheFileAsTheServerAnswered(Client user) throws Exception {
    Jars.provision(dir, "s1");
    Path file = bigFile(8L << 20);
    Jars.Server server = serve();
    int port = Integer.parseInt(server.address().substring(server.address().lastIndexOf(':') + 1));
    try (AnswerHold hold = new AnswerHold(port, Files.size(file))) {
      Path output = dir.resolve("late.out");
      Process client =
          user.upload(dir, "127.0.0.1:" + hold.port())
              .redirectErrorStream(true)
              .redirectOutput(output.toFile())
              .start();
      // The whole file went out and the server's answer is held back.
      await().atMost(Duration.ofSeconds(120)).until(hold::holding);
      assertThat(client.isAlive()).isTrue();
      signal("INT", client);
      // Let the signal land before the answer does (if it lands later, the upload simply
      // finished: the lines asserted below are the same).
      Thread.sleep(1000);
      hold.release();
      assertThat(client.waitFor(60, TimeUnit.SECONDS)).isTrue();

      String said = Files.readString(output);
      assertThat(said)
          .contains("stored big.bin")
          .doesNotContain("run the same command again")
          .doesNotContain("Shutdown in progress")
          .doesNotContain("Traceback");
      assertThat(client.exitValue()).as(said).isEqualTo(130);
      assertThat(Files.mismatch(file, dir.resolve("uploads/s1/big.bin"))).isEqualTo(-1);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> Files.readString(dir.resolve("audit.jsonl")).contains("upload.stored"));
      assertThat(Files.readString(dir.resolve("audit.jsonl")))
          .doesNotContain("\"reason\":\"interrupted\"")
          .doesNotContain("malformed");
    } finally {
      server.process().destroy();
      server.process().waitFor(30, TimeUnit.SECONDS);
    }
  }

  /**
   * A relay for one connection that holds everything the server sends once the client has sent at
   * least {@code after} bytes (for an upload: its answer), until {@link #release()}.
   */
  private static final class AnswerHold implements AutoCloseable {
    private final ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    private final int target;
    private final long after;
    private final CountDownLatch released = new CountDownLatch(1);
    private final AtomicLong sent = new AtomicLong();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile boolean holding;

    AnswerHold(int target, long after) throws IOException {
      this.target = target;
      this.after = after;
      Thread.ofPlatform().daemon().name("answer-hold").start(this::relay);
    }

    int port() {
      return listener.getLocalPort();
    }

    boolean holding() {
      return holding;
    }

    void release() {
      released.countDown();
    }

    private void relay() {
      try (Socket client = listener.accept();
          Socket server = new Socket(InetAddress.getLoopbackAddress(), target)) {
        sockets.add(client);
        sockets.add(server);
        Thread up =
            Thread.ofPlatform().daemon().start(() -> copy(client, server, n -> sent.addAndGet(n)));
        copy(
            server,
            client,
            n -> {
              if (sent.get() >= after) {
                holding = true;
                try {
                  released.await();
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              }
            });
        up.join();
      } catch (IOException | InterruptedException e) {
        // the test has ended the relay
      }
    }

    /** Copies until EOF; {@code before} sees each read's size before it is written on. */
    private static void copy(Socket from, Socket to, java.util.function.LongConsumer before) {
      byte[] buffer = new byte[64 << 10];
      try {
        InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream();
        for (int n; (n = in.read(buffer)) > 0; ) {
          before.accept(n);
          out.write(buffer, 0, n);
          out.flush();
        }
        to.shutdownOutput();
      } catch (IOException e) {
        // one side went away: the other follows
      }
    }

    @Override
    public void close() throws IOException {
      release();
      listener.close();
      for (Socket socket : sockets) {
        socket.close();
      }
    }
  }

  @Test
  void aChatCarriesOnAfterTheServerIsFrozenForTwentySeconds() throws Exception {
    Jars.provision(dir, "script");
    Jars.provision(dir, "human");
    Jars.Server server = serve();
    Process script = jsonChat(server.address(), "script");
    Process human = jsonChat(server.address(), "human");
    try {
      Lines heard = new Lines(human);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  Files.readString(dir.resolve("audit.jsonl")).split("chat.joined", -1).length
                      == 3);

      signal("STOP", server.process());
      script
          .getOutputStream()
          .write("said while the server was frozen\n".getBytes(StandardCharsets.UTF_8));
      script.getOutputStream().flush();
      // The test is about a 20 s freeze: no shorter wait would do.
      Thread.sleep(20_000);
      signal("CONT", server.process());

      assertThat(heard.await("\"type\":\"message\"", Duration.ofSeconds(30)))
          .contains("said while the server was frozen");
      script.getOutputStream().close();
      human.getOutputStream().close();
      assertThat(script.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(human.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(script.exitValue()).isZero();
      assertThat(human.exitValue()).isZero();
    } finally {
      script.destroyForcibly();
      human.destroyForcibly();
      signal("CONT", server.process());
      server.process().destroy();
      server.process().waitFor(30, TimeUnit.SECONDS);
    }
  }

  private Process jsonChat(String address, String id) throws IOException {
    return Jars.jsonChat(dir, address, id);
  }

  private static void signal(String name, Process process) throws Exception {
    Process kill =
        new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
    assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
  }
}
