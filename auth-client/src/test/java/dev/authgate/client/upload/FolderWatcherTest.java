package dev.authgate.client.upload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.authgate.client.AuthgateClient;
import dev.authgate.client.connect.Backoff;
import dev.authgate.client.connect.ServerAddress;
import dev.authgate.client.testing.Gate;
import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.server.connection.ServerConfig;
import dev.authgate.server.testing.TestServer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A watched folder against a real server: what lands is stored once, byte-identical, and leaves the
 * folder only then; what is refused stays; restarts and cut connections lose nothing.
 */
@Tag("system")
class FolderWatcherTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Executor THREADS = Executors.newVirtualThreadPerTaskExecutor();
  private static final Backoff QUICK = new Backoff(Duration.ofMillis(20), Duration.ofMillis(200));

  @TempDir Path dir;
  private Path folder;
  private Path done;
  private Path staging;
  private final List<AutoCloseable> open = new ArrayList<>();
  private final List<FolderWatcher> watchers = new ArrayList<>();

  @BeforeEach
  void folders() throws IOException {
    folder = Files.createDirectories(dir.resolve("outbox"));
    done = dir.resolve("sent");
    staging = Files.createDirectories(dir.resolve("staging"));
  }

  @AfterEach
  void closeAll() throws Exception {
    watchers.forEach(FolderWatcher::stop);
    for (AutoCloseable closeable : open.reversed()) {
      closeable.close();
    }
  }

  /** Everything a watcher reports. */
  static final class Record implements FolderWatcher.Listener {
    final List<String> stored = new CopyOnWriteArrayList<>();
    final List<String> refused = new CopyOnWriteArrayList<>();
    final List<String> skipped = new CopyOnWriteArrayList<>();
    final List<Exception> disconnects = new CopyOnWriteArrayList<>();

    @Override
    public void stored(Path file, UploadOutcome outcome, Path movedTo) {
      stored.add(outcome.name());
    }

    @Override
    public void refused(Path file, UploadOutcome outcome, Duration retryIn) {
      refused.add(outcome.name() + " " + outcome.reason());
    }

    @Override
    public void skipped(Path file, String why, Duration retryIn) {
      skipped.add(file.getFileName() + ": " + why);
    }

    @Override
    public void disconnected(Exception failure, Duration retryIn) {
      disconnects.add(failure);
    }
  }

  private TestServer server() throws IOException {
    TestServer server =
        TestServer.start(dir.resolve("server"), ServerConfig.loopback(0, dir.resolve("uploads")));
    open.add(server);
    return server;
  }

  private WatchOptions options() {
    return WatchOptions.deleting(folder)
        .movingTo(done)
        .timing(Duration.ofMillis(300), Duration.ofMillis(50))
        .retrying(new Backoff(Duration.ofMillis(100), Duration.ofMillis(400)));
  }

  private CompletableFuture<Void> watch(
      int port, Credential credential, WatchOptions options, Record record) {
    FolderWatcher watcher =
        new FolderWatcher(
            AuthgateClient.of(new ServerAddress("127.0.0.1", port), credential)
                .withTimeout(Duration.ofSeconds(10))
                .withBackoff(QUICK),
            options,
            record);
    watchers.add(watcher);
    return CompletableFuture.runAsync(
        () -> {
          try {
            watcher.run();
          } catch (Exception e) {
            throw new java.util.concurrent.CompletionException(e);
          }
        },
        THREADS);
  }

  /** Writes {@code size} random bytes as {@code name} in staging and renames it into the folder. */
  private byte[] drop(String name, int size) throws IOException {
    byte[] bytes = new byte[size];
    new Random(name.hashCode()).nextBytes(bytes);
    Path staged = Files.write(staging.resolve(name), bytes);
    Files.move(staged, folder.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    return bytes;
  }

  private Path stored(String name) {
    return dir.resolve("uploads/sensor-1/" + name);
  }

  private List<String> folderNames() throws IOException {
    try (Stream<Path> files = Files.list(folder)) {
      return files.map(f -> f.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void filesRenamedIntoTheFolderAreStoredByteIdenticalAndMovedToDone() throws Exception {
    TestServer server = server();
    Record record = new Record();
    watch(server.port(), server.provision("sensor-1"), options(), record);
    byte[] a = drop("a.csv", 10_000);
    byte[] b = drop("b.bin", 700_000);

    await().atMost(WAIT).until(() -> record.stored.size() == 2);
    assertThat(Files.readAllBytes(stored("a.csv"))).isEqualTo(a);
    assertThat(Files.readAllBytes(stored("b.bin"))).isEqualTo(b);
    assertThat(folderNames()).isEmpty();
    assertThat(Files.readAllBytes(done.resolve("a.csv"))).isEqualTo(a);
    assertThat(done.resolve("b.bin")).exists();
  }

  @Test
  void withoutADoneFolderStoredFilesAreDeleted() throws Exception {
    TestServer server = server();
    Record record = new Record();
    watch(
        server.port(),
        server.provision("sensor-1"),
        WatchOptions.deleting(folder).timing(Duration.ofMillis(200), Duration.ofMillis(50)),
        record);
    drop("report.txt", 1000);

    await().atMost(WAIT).until(() -> record.stored.size() == 1);
    assertThat(folderNames()).isEmpty();
    assertThat(stored("report.txt")).exists();
  }

  @Test
  void aFileStillBeingWrittenIsNotSentUntilItSettles() throws Exception {
    TestServer server = server();
    Record record = new Record();
    // A settle time 40× the writer's pauses: only a 2 s stall of this writer looks settled.
    watch(
        server.port(),
        server.provision("sensor-1"),
        options().timing(Duration.ofSeconds(2), Duration.ofMillis(50)),
        record);
    Path growing = folder.resolve("growing.log");
    ByteArrayCollector written = new ByteArrayCollector();
    try (OutputStream out = Files.newOutputStream(growing)) {
      for (int i = 0; i < 20; i++) {
        byte[] piece = ("line " + i + " " + "x".repeat(1000) + "\n").getBytes();
        out.write(piece);
        out.flush();
        written.add(piece);
        Thread.sleep(50);
      }
    }

    await().atMost(WAIT).until(() -> record.stored.contains("growing.log"));
    assertThat(Files.readAllBytes(stored("growing.log"))).isEqualTo(written.bytes());
    assertThat(record.stored).containsExactly("growing.log");
  }

  @Test
  void dotfilesTmpFilesAndSubfoldersAreLeftAloneAndABadNameIsReportedAndKept() throws Exception {
    TestServer server = server();
    Record record = new Record();
    watch(server.port(), server.provision("sensor-1"), options(), record);
    Files.writeString(folder.resolve(".partial"), "hidden");
    Files.writeString(folder.resolve("upload.tmp"), "in progress");
    Files.createDirectories(folder.resolve("sub"));
    Files.writeString(folder.resolve("sub/inner.txt"), "not watched");
    Files.writeString(folder.resolve("bad\\name.txt"), "a backslash is not allowed");
    drop("good.txt", 100);

    await().atMost(WAIT).until(() -> record.stored.contains("good.txt"));
    await().atMost(WAIT).until(() -> !record.skipped.isEmpty());
    assertThat(record.skipped.getFirst()).startsWith("bad\\name.txt: the name contains '\\'");
    assertThat(folderNames()).containsExactly(".partial", "bad\\name.txt", "sub", "upload.tmp");
    assertThat(record.stored).containsExactly("good.txt");
  }

  @Test
  void aNameWhoseBytesAreNotTextHereIsReportedAndKeptAndTheOthersAreStored() throws Exception {
    TestServer server = server();
    Record record = new Record();
    // Latin-1 "é" (one byte, 0xE9): not UTF-8, not ASCII, so no locale this JVM may run in reads
    // it as text. Java cannot write such a name; a shell can.
    Process printf =
        new ProcessBuilder("sh", "-c", "printf latin1 > \"$(printf 'caf\\351.txt')\"")
            .directory(folder.toFile())
            .start();
    assertThat(printf.waitFor()).isZero();
    watch(server.port(), server.provision("sensor-1"), options(), record);
    drop("good.txt", 100);

    await().atMost(WAIT).until(() -> record.stored.contains("good.txt"));
    await().atMost(WAIT).until(() -> !record.skipped.isEmpty());
    assertThat(record.skipped.getFirst()).contains(": its name is not ");
    assertThat(folderNames()).hasSize(1); // the Latin-1 one, kept as it was
    try (Stream<Path> stored = Files.list(dir.resolve("uploads/sensor-1"))) {
      assertThat(stored.map(p -> p.getFileName().toString()))
          .contains("good.txt")
          .noneMatch(name -> name.startsWith("caf"));
    }
    assertThat(record.stored).containsExactly("good.txt");
  }

  @Test
  void aRefusedFileStaysAndIsRetriedUntilTheServerTakesIt() throws Exception {
    TestServer server = server();
    Credential credential = server.provision("sensor-1");
    Files.createDirectories(stored("x").getParent());
    Files.writeString(stored("taken.txt"), "the server's own copy");
    Record record = new Record();
    watch(server.port(), credential, options(), record);
    byte[] mine = drop("taken.txt", 500);

    await().atMost(WAIT).until(() -> record.refused.size() >= 2);
    assertThat(record.refused).allMatch(r -> r.equals("taken.txt exists"));
    assertThat(folderNames()).containsExactly("taken.txt");
    assertThat(Files.readString(stored("taken.txt"))).isEqualTo("the server's own copy");

    Files.delete(stored("taken.txt"));
    await().atMost(WAIT).until(() -> record.stored.contains("taken.txt"));
    assertThat(Files.readAllBytes(stored("taken.txt"))).isEqualTo(mine);
    assertThat(folderNames()).isEmpty();
  }

  @Test
  void serverRestartsAndCutConnectionsLoseNothingAndStoreEachFileOnce() throws Exception {
    TestServer first = server();
    Credential credential = first.provision("sensor-1");
    Gate gate = Gate.create();
    open.add(gate);
    gate.open(first.port());
    Record record = new Record();
    watch(gate.port(), credential, options(), record);
    List<byte[]> contents = new ArrayList<>();
    TestServer current = first;
    for (int i = 0; i < 60; i++) {
      contents.add(drop(String.format("f%03d.bin", i), 50_000 + i * 1000));
      if (i == 20 || i == 40) {
        gate.shut();
        current.close();
        open.remove(current);
        Thread.sleep(200);
        current = server();
        gate.open(current.port());
      }
      Thread.sleep(20);
    }

    await().atMost(WAIT).until(() -> folderNames().isEmpty());
    for (int i = 0; i < 60; i++) {
      String name = String.format("f%03d.bin", i);
      assertThat(Files.readAllBytes(stored(name))).as(name).isEqualTo(contents.get(i));
      assertThat(Files.readAllBytes(done.resolve(name))).as(name).isEqualTo(contents.get(i));
    }
    try (Stream<Path> kept = Files.list(stored("x").getParent())) {
      assertThat(kept.map(p -> p.getFileName().toString()))
          .as("nothing but the 60 files, no partials, no copies")
          .hasSize(60);
    }
    assertThat(record.stored).doesNotHaveDuplicates();
  }

  @Test
  void stopEndsAfterTheCurrentChunkAndTheNextRunResumes() throws Exception {
    TestServer server = server();
    Credential credential = server.provision("sensor-1");
    byte[] big = drop("big.bin", 64 << 20);
    Record record = new Record();
    WatchOptions options = options();
    CompletableFuture<Void> running = watch(server.port(), credential, options, record);
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(5))
        .until(() -> partialLength(server) > Uploader.CHUNK_BYTES);

    watchers.getFirst().stop();
    running.get(30, TimeUnit.SECONDS);
    assertThat(folderNames()).containsExactly("big.bin");
    assertThat(stored("big.bin")).doesNotExist();

    CompletableFuture<Void> again = watch(server.port(), credential, options, record);
    await().atMost(WAIT).until(() -> record.stored.contains("big.bin"));
    assertThat(Files.mismatch(done.resolve("big.bin"), stored("big.bin"))).isEqualTo(-1);
    assertThat(Files.readAllBytes(stored("big.bin"))).isEqualTo(big);
    assertThat(server.awaitEvent("upload.stored").path("resumed_from").asLong()).isPositive();
    watchers.getLast().stop();
    again.get(30, TimeUnit.SECONDS);
  }

  @Test
  void aRevokedKeyEndsTheWatchAndLeavesTheFiles() throws Exception {
    TestServer server = server();
    Credential credential = server.provision("sensor-1");
    server.revokeNow("sensor-1");
    Record record = new Record();
    CompletableFuture<Void> running = watch(server.port(), credential, options(), record);
    drop("kept.txt", 100);

    assertThatThrownBy(() -> running.get(60, TimeUnit.SECONDS))
        .hasCauseInstanceOf(ProtocolException.class);
    assertThat(folderNames()).containsExactly("kept.txt");
  }

  private long partialLength(TestServer server) throws IOException {
    Path clientDir = stored("x").getParent();
    if (!Files.isDirectory(clientDir)) {
      return 0;
    }
    try (Stream<Path> files = Files.list(clientDir)) {
      return files
          .filter(f -> f.getFileName().toString().startsWith(".authgate-part-"))
          .mapToLong(f -> f.toFile().length())
          .max()
          .orElse(0);
    }
  }

  /** Collects the bytes a test wrote, in order. */
  private static final class ByteArrayCollector {
    private final java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();

    void add(byte[] piece) {
      all.writeBytes(piece);
    }

    byte[] bytes() {
      return all.toByteArray();
    }
  }
}
