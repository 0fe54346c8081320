package dev.authgate.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.authgate.client.connect.Connector;
import dev.authgate.client.connect.HostKeyTrust;
import dev.authgate.client.connect.ServerAddress;
import dev.authgate.client.connect.VerifiedConnection;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.session.UploadBegin;
import dev.authgate.protocol.session.UploadData;
import dev.authgate.protocol.session.UploadReady;
import dev.authgate.server.testing.TestServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code auth-client upload}: result lines, exit codes, and what lands on the server. */
class UploadCommandTest {
  @TempDir Path dir;
  TestServer server;
  Path key;

  @BeforeEach
  void start() throws IOException {
    server = TestServer.start(dir.resolve("server"));
    server.provision("sensor-1");
    key = server.credentialFile("sensor-1");
  }

  @AfterEach
  void stop() throws IOException {
    server.close();
  }

  private CliRun upload(String... extra) {
    String[] args = new String[5 + extra.length];
    args[0] = "upload";
    args[1] = "--server";
    args[2] = server.hostPort();
    args[3] = "--key";
    args[4] = key.toString();
    System.arraycopy(extra, 0, args, 5, extra.length);
    return CliRun.client(args);
  }

  private Path file(String name, String content) throws IOException {
    return Files.writeString(dir.resolve(name), content);
  }

  @Test
  void uploadsSeveralFilesOverOneConnectionAndPrintsOneLineEach() throws IOException {
    Path a = file("a.log", "alpha");
    Path b = file("b.log", "bravo");

    CliRun run = upload(a.toString(), b.toString());

    assertThat(run.exit()).isZero();
    assertThat(run.out().lines())
        .hasSize(2)
        .anySatisfy(l -> assertThat(l).startsWith("stored a.log: 5 bytes, sha256 "))
        .anySatisfy(l -> assertThat(l).startsWith("stored b.log: 5 bytes, sha256 "));
    assertThat(Files.readString(dir.resolve("server/uploads/sensor-1/b.log"))).isEqualTo("bravo");
    assertThat(server.awaitEvent("session.closed").path("files_stored").asInt()).isEqualTo(2);
    assertThat(server.events("auth.accepted")).hasSize(1);
  }

  @Test
  void anExistingNameExitsFiveWithTheReasonUnlessOverwriting() throws IOException {
    Path a = file("a.log", "alpha");
    upload(a.toString());
    Files.writeString(a, "alpha two");

    CliRun refused = upload(a.toString());
    assertThat(refused.exit()).isEqualTo(5);
    assertThat(refused.out())
        .isEqualTo(
            "refused a.log: 'a.log' already exists on the server;"
                + " upload with --overwrite to replace it [exists]\n");

    CliRun replaced = upload("--overwrite", a.toString());
    assertThat(replaced.exit()).isZero();
    assertThat(Files.readString(dir.resolve("server/uploads/sensor-1/a.log")))
        .isEqualTo("alpha two");
  }

  @Test
  void oneRefusedFileDoesNotStopTheOthers() throws IOException {
    Path a = file("a.log", "alpha");
    upload(a.toString());
    Path b = file("b.log", "bravo");

    CliRun run = upload(a.toString(), b.toString());

    assertThat(run.exit()).isEqualTo(5);
    assertThat(run.out()).contains("refused a.log").contains("stored b.log");
  }

  @Test
  void aMissingLocalFileIsAUsageErrorBeforeConnecting() {
    CliRun run = upload(dir.resolve("nope.bin").toString());

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).isEqualTo("auth-client: " + dir.resolve("nope.bin") + ": no such file\n");
    assertThat(server.events("auth.accepted")).isEmpty();
  }

  @Test
  void aDirectoryIsNotUploaded() {
    CliRun run = upload(dir.toString());

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err())
        .isEqualTo("auth-client: " + dir + " is not a regular file; only files can be uploaded\n");
  }

  @Test
  void aLocalNameThatIsNotOneSafeComponentIsAUsageError() throws IOException {
    Path odd = file("line\nbreak", "x");

    CliRun run = upload(odd.toString());

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).contains("control character");
  }

  @Test
  void withoutATerminalNoProgressBarIsDrawn() throws IOException {
    CliRun run = upload(file("a.log", "alpha").toString());

    assertThat(run.err()).isEmpty();
  }

  private Path bigFile(String name, long size) throws IOException {
    Path file = dir.resolve(name);
    byte[] chunk = new byte[1 << 20];
    new java.util.Random(size).nextBytes(chunk);
    try (java.io.OutputStream out = Files.newOutputStream(file)) {
      for (long left = size; left > 0; left -= chunk.length) {
        out.write(chunk, 0, (int) Math.min(chunk.length, left));
      }
    }
    return file;
  }

  /**
   * Runs {@code upload --overwrite file} and, once the server has received part of it, does {@code
   * during}. If the upload was over before that (a fast machine), tries again: the test is about
   * what happens when it is not.
   */
  private CliRun uploadAndMeanwhile(Path file, ThrowingRunnable during) throws Exception {
    for (int attempt = 0; attempt < 5; attempt++) {
      var run =
          java.util.concurrent.CompletableFuture.supplyAsync(
              () -> upload("--overwrite", file.toString()));
      Path partials = dir.resolve("server/uploads/sensor-1");
      boolean caught =
          org.awaitility.Awaitility.await()
                  .atMost(java.time.Duration.ofSeconds(60))
                  .pollInterval(java.time.Duration.ofMillis(2))
                  .until(() -> run.isDone() || receivingInto(partials), done -> done)
              && !run.isDone();
      if (caught) {
        during.run();
        return run.get();
      }
      run.get();
    }
    throw new AssertionError("every upload finished before it could be disturbed");
  }

  private static boolean receivingInto(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (var files = Files.list(dir)) {
      return files.anyMatch(
          f -> f.getFileName().toString().startsWith(".authgate-part-") && sizeOf(f) > (1 << 20));
    }
  }

  private static long sizeOf(Path f) {
    try {
      return Files.size(f);
    } catch (IOException e) {
      return 0;
    }
  }

  interface ThrowingRunnable {
    void run() throws Exception;
  }

  @Test
  void aFileRewrittenDuringItsUploadIsNotStoredAndExitsFive() throws Exception {
    long size = 200L << 20;
    Path file = bigFile("big.bin", size);

    CliRun run =
        uploadAndMeanwhile(
            file,
            () -> {
              try (var channel =
                  java.nio.channels.FileChannel.open(
                      file, java.nio.file.StandardOpenOption.WRITE)) {
                channel.write(java.nio.ByteBuffer.wrap(new byte[4096]), 190L << 20);
              }
            });

    assertThat(run.exit()).as(run.out() + run.err()).isEqualTo(5);
    assertThat(run.out()).contains("refused big.bin").contains("changed while it was being read");
    assertThat(dir.resolve("server/uploads/sensor-1/big.bin")).doesNotExist();
  }

  @Test
  void aKeyRevokedDuringAnUploadSaysSoAndExitsThree() throws Exception {
    server.watchKeys();
    Path file = bigFile("big.bin", 200L << 20);

    CliRun run = uploadAndMeanwhile(file, () -> server.keystore().revoke("sensor-1"));

    assertThat(run.exit()).as(run.out() + run.err()).isEqualTo(3);
    assertThat(run.err())
        .contains("the server ended the session during the upload: this client's key was revoked");
    assertThat(dir.resolve("server/uploads/sensor-1/big.bin")).doesNotExist();
  }

  /** Sends the first MiB of {@code file} as {@code name}, then drops the connection (RST). */
  private void interruptAfterOneMebibyte(Path file, String name) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    try (VerifiedConnection connection =
        new Connector(
                Credential.load(key).identity(),
                HostKeyTrust.of(Credential.load(key)),
                java.time.Duration.ofSeconds(10),
                RandomSource.secure())
            .connect(new ServerAddress("127.0.0.1", server.port()))) {
      var channel = connection.channel();
      channel.send(new UploadBegin(name, bytes.length, false, true));
      assertThat(channel.receive()).isInstanceOf(UploadReady.class);
      channel.send(new UploadData(java.util.Arrays.copyOf(bytes, 1 << 20)));
      connection.ping(); // answered in order: the chunk is on the server's disk by now
      connection.abort();
    }
    server.awaitEvent("upload.failed");
  }

  @Test
  void anInterruptedUploadResumesByDefaultAndSaysSo() throws IOException {
    byte[] bytes = new byte[3 << 20];
    new java.util.Random(5).nextBytes(bytes);
    Path big = Files.write(dir.resolve("big.bin"), bytes);
    interruptAfterOneMebibyte(big, "big.bin");

    CliRun run = upload(big.toString());

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out()).startsWith("stored big.bin: 3145728 bytes (resumed from ");
    assertThat(Files.mismatch(big, dir.resolve("server/uploads/sensor-1/big.bin"))).isEqualTo(-1);
  }

  @Test
  void noResumeStartsOver() throws IOException {
    Path big = Files.write(dir.resolve("big.bin"), new byte[3 << 20]);
    interruptAfterOneMebibyte(big, "big.bin");

    CliRun run = upload("--no-resume", big.toString());

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out()).startsWith("stored big.bin: 3145728 bytes, sha256 ");
    assertThat(server.awaitEvent("upload.stored").has("resumed_from")).isFalse();
  }

  @Test
  void watchWithBothDoneAndDeleteSaysToDropOne_andWithNeitherSaysToGiveOne() throws IOException {
    Path outbox = Files.createDirectories(dir.resolve("outbox"));
    String done = dir.resolve("sent").toString();

    CliRun both = upload("--watch", outbox.toString(), "--done", done, "--delete");
    assertThat(both.exit()).isEqualTo(2);
    assertThat(both.err()).contains("give --done DIR or --delete, not both").contains("drop one");

    CliRun neither = upload("--watch", outbox.toString());
    assertThat(neither.exit()).isEqualTo(2);
    assertThat(neither.err()).contains("--watch needs --done DIR or --delete");
  }
}
