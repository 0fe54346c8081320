package dev.authgate.client.upload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import dev.authgate.client.connect.Connector;
import dev.authgate.client.connect.HostKeyTrust;
import dev.authgate.client.connect.ServerAddress;
import dev.authgate.client.connect.VerifiedConnection;
import dev.authgate.protocol.crypto.Digests;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.session.SecureChannel;
import dev.authgate.protocol.session.UploadBegin;
import dev.authgate.protocol.session.UploadData;
import dev.authgate.protocol.session.UploadEnd;
import dev.authgate.protocol.session.UploadReady;
import dev.authgate.protocol.session.UploadResult;
import dev.authgate.server.connection.ServerConfig;
import dev.authgate.server.testing.TestServer;
import dev.authgate.server.upload.UploadLimits;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real client, real server, real sockets: what lands on disk and in the audit log. */
class UploadTest {
  @TempDir Path dir;
  TestServer server;
  Credential sensor;

  @BeforeEach
  void start() throws IOException {
    server = TestServer.start(dir.resolve("server"));
    sensor = server.provision("sensor-1");
  }

  @AfterEach
  void stop() throws IOException {
    server.close();
  }

  private VerifiedConnection connect(TestServer target, Credential credential) throws IOException {
    return new Connector(
            credential.identity(),
            HostKeyTrust.of(credential),
            Duration.ofSeconds(30),
            RandomSource.secure())
        .connect(new ServerAddress("127.0.0.1", target.port()));
  }

  private Path randomFile(String name, long size) throws IOException {
    Path file = dir.resolve(name);
    Random random = new Random(size);
    byte[] chunk = new byte[1 << 20];
    try (OutputStream out = Files.newOutputStream(file)) {
      for (long left = size; left > 0; left -= chunk.length) {
        random.nextBytes(chunk);
        out.write(chunk, 0, (int) Math.min(chunk.length, left));
      }
    }
    return file;
  }

  private static String sha256(Path file) throws IOException {
    MessageDigest digest = Digests.newSha256();
    try (var in = Files.newInputStream(file)) {
      byte[] buffer = new byte[1 << 16];
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
      }
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private Path stored(String name) {
    return dir.resolve("server/uploads/sensor-1").resolve(name);
  }

  private long visibleFiles() throws IOException {
    Path clientDir = dir.resolve("server/uploads/sensor-1");
    if (!Files.exists(clientDir)) {
      return 0;
    }
    try (Stream<Path> files = Files.list(clientDir)) {
      return files.filter(p -> !p.getFileName().toString().startsWith(".authgate-")).count();
    }
  }

  @Test
  void aHundredMebibyteFileArrivesWithTheSameSha256() throws IOException {
    Path source = randomFile("capture.bin", 100L << 20);
    UploadOutcome outcome;
    try (VerifiedConnection connection = connect(server, sensor)) {
      outcome =
          new Uploader(connection, UploadListener.silent())
              .upload(source, "capture.bin", false, false);
    }

    assertThat(outcome.stored()).isTrue();
    assertThat(sha256(stored("capture.bin"))).isEqualTo(sha256(source));
    assertThat(HexFormat.of().formatHex(outcome.sha256())).isEqualTo(sha256(source));
    JsonNode event = server.awaitEvent("upload.stored");
    assertThat(event.path("sha256").asText()).isEqualTo(sha256(source));
    assertThat(event.path("size").asLong()).isEqualTo(100L << 20);
    assertThat(server.awaitEvent("session.closed").path("kind").asText()).isEqualTo("upload");
  }

  @Test
  void aStopAskedMidFileEndsAfterTheChunkAndTheServerKeepsExactlyWhatWasSent() throws IOException {
    Path source = randomFile("night.dump", 8L << 20);
    long[] sent = {0};
    UploadListener noting =
        new UploadListener() {
          @Override
          public void started(String name, long size, long offset) {}

          @Override
          public void advanced(long position) {
            sent[0] = position;
          }

          @Override
          public void ended(UploadOutcome outcome) {}
        };
    try (VerifiedConnection connection = connect(server, sensor)) {
      Uploader uploader = new Uploader(connection, noting);
      uploader.cancelWhen(() -> sent[0] >= (2L << 20)); // Ctrl-C once 2 MiB are out
      assertThatThrownBy(() -> uploader.upload(source, "night.dump", false, true))
          .isInstanceOf(UploadCancelledException.class);
    } // closed with CLOSE, as the command does

    JsonNode failed = server.awaitEvent("upload.failed");
    assertThat(failed.path("reason").asText()).isEqualTo("interrupted");
    assertThat(failed.path("bytes").asLong()).isEqualTo(sent[0]);
    assertThat(failed.path("detail").asText()).startsWith("connection ended (closed)");
    assertThat(server.awaitEvent("session.closed").path("outcome").asText()).isEqualTo("closed");
  }

  @Test
  void aStopAskedOnceTheLastChunkIsOutWaitsForTheServerAndReportsTheFileStored()
      throws IOException {
    Path source = randomFile("small.csv", 1000);
    UploadOutcome outcome;
    try (VerifiedConnection connection = connect(server, sensor)) {
      Uploader uploader = new Uploader(connection, UploadListener.silent());
      uploader.cancelWhen(() -> true); // asked before the one chunk went: nothing left to stop
      outcome = uploader.upload(source, "small.csv", true, true);
    }

    assertThat(outcome.stored()).isTrue();
    assertThat(sha256(stored("small.csv"))).isEqualTo(sha256(source));
    assertThat(server.awaitEvent("upload.stored").path("name").asText()).isEqualTo("small.csv");
  }

  @Test
  void aClientKilledMidTransferLeavesNoVisibleFileAndResumeCompletesItIdentically()
      throws IOException {
    Path source = randomFile("backup.tar", 20L << 20);
    VerifiedConnection doomed = connect(server, sensor);
    UploadListener killer =
        new UploadListener() {
          @Override
          public void started(String name, long size, long offset) {}

          @Override
          public void advanced(long position) {
            if (position >= (8L << 20)) {
              try {
                doomed.abort();
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            }
          }

          @Override
          public void ended(UploadOutcome outcome) {}
        };
    assertThatThrownBy(
            () -> new Uploader(doomed, killer).upload(source, "backup.tar", false, false))
        .isInstanceOf(IOException.class);
    JsonNode interrupted = server.awaitEvent("upload.failed");
    assertThat(interrupted.path("reason").asText()).isEqualTo("interrupted");
    assertThat(visibleFiles()).isZero();

    UploadOutcome resumed;
    try (VerifiedConnection connection = connect(server, sensor)) {
      resumed =
          new Uploader(connection, UploadListener.silent())
              .upload(source, "backup.tar", false, true);
    }
    assertThat(resumed.stored()).isTrue();
    assertThat(resumed.resumedFrom()).isGreaterThan(0).isLessThan(20L << 20);
    assertThat(sha256(stored("backup.tar"))).isEqualTo(sha256(source));
    assertThat(server.awaitEvent("upload.stored").path("resumed_from").asLong())
        .isEqualTo(resumed.resumedFrom());
  }

  @Test
  void resumingAfterTheLocalFileChangedStartsOverAndStoresTheNewContent() throws IOException {
    Path source = randomFile("data.bin", 4L << 20);
    try (VerifiedConnection connection = connect(server, sensor)) {
      SecureChannel channel = connection.channel();
      channel.send(new UploadBegin("data.bin", 4L << 20, false, false));
      assertThat(channel.receive()).isInstanceOf(UploadReady.class);
      channel.send(new UploadData(new byte[1 << 20]));
      connection.abort();
    }
    server.awaitEvent("upload.failed");

    UploadOutcome outcome;
    try (VerifiedConnection connection = connect(server, sensor)) {
      outcome =
          new Uploader(connection, UploadListener.silent()).upload(source, "data.bin", false, true);
    }
    assertThat(outcome.stored()).isTrue();
    assertThat(outcome.resumedFrom()).isZero();
    assertThat(sha256(stored("data.bin"))).isEqualTo(sha256(source));
  }

  @Test
  void aWrongHashOrSizeOverTheWireStoresNothing() throws IOException {
    try (VerifiedConnection connection = connect(server, sensor)) {
      SecureChannel channel = connection.channel();
      channel.send(new UploadBegin("a.bin", 3, false, false));
      channel.receive();
      channel.send(new UploadData(new byte[] {1, 2, 3}));
      channel.send(new UploadEnd(Digests.sha256(new byte[] {1, 2, 4})));
      assertThat(((UploadResult) channel.receive()).reason()).isEqualTo("hash-mismatch");

      channel.send(new UploadBegin("b.bin", 3, false, false));
      channel.receive();
      channel.send(new UploadData(new byte[] {1, 2}));
      channel.send(new UploadEnd(Digests.sha256(new byte[] {1, 2})));
      assertThat(((UploadResult) channel.receive()).reason()).isEqualTo("size-mismatch");

      channel.send(new UploadBegin("c.bin", 3, false, false));
      channel.receive();
      channel.send(new UploadData(new byte[] {1, 2, 3, 4}));
      assertThat(((UploadResult) channel.receive()).reason()).isEqualTo("size-mismatch");
      channel.send(new UploadEnd(new byte[32]));

      channel.send(new UploadBegin("d.bin", 1, false, false));
      assertThat(channel.receive()).isInstanceOf(UploadReady.class);
    }
    assertThat(visibleFiles()).isZero();
    server.awaitEvent("upload.failed", e -> e.path("reason").asText().equals("interrupted"));
    assertThat(server.events("upload.failed"))
        .extracting(e -> e.path("name").asText() + ":" + e.path("reason").asText())
        .containsExactlyInAnyOrder(
            "a.bin:hash-mismatch",
            "b.bin:size-mismatch",
            "c.bin:size-mismatch",
            "d.bin:interrupted");
  }

  @Test
  void aBadNameSentPastTheClientsOwnCheckIsRefusedByTheServer() throws IOException {
    Path source = randomFile("x", 10);
    try (VerifiedConnection connection = connect(server, sensor)) {
      UploadOutcome outcome =
          new Uploader(connection, UploadListener.silent())
              .upload(source, "../../escape", false, false);
      assertThat(outcome.stored()).isFalse();
      assertThat(outcome.reason()).isEqualTo("bad-name");
      assertThat(outcome.text()).contains("one path component");
    }
    try (Stream<Path> all = Files.walk(dir)) {
      assertThat(all.filter(p -> p.getFileName().toString().equals("escape"))).isEmpty();
    }
  }

  @Test
  void concurrentUploadsOfOneNameByOneClientStoreExactlyOneFile() throws IOException {
    try (VerifiedConnection first = connect(server, sensor);
        VerifiedConnection second = connect(server, sensor)) {
      first.channel().send(new UploadBegin("same.txt", 3, false, false));
      assertThat(first.channel().receive()).isInstanceOf(UploadReady.class);
      first.channel().send(new UploadData(new byte[] {1}));

      second.channel().send(new UploadBegin("same.txt", 3, false, false));
      UploadResult refused = (UploadResult) second.channel().receive();
      assertThat(refused.reason()).isEqualTo("busy");
      assertThat(refused.text()).contains("another upload of 'same.txt' is in progress");

      first.channel().send(new UploadData(new byte[] {2, 3}));
      first.channel().send(new UploadEnd(Digests.sha256(new byte[] {1, 2, 3})));
      assertThat(((UploadResult) first.channel().receive()).stored()).isTrue();
    }
    assertThat(Files.readAllBytes(stored("same.txt"))).containsExactly(1, 2, 3);
    assertThat(visibleFiles()).isOne();
  }

  @Test
  void aFullDiskIsAClearErrorWhileAnotherClientsParallelUploadSucceeds() throws IOException {
    try (FileSystem small =
            Jimfs.newFileSystem(
                Configuration.unix().toBuilder().setMaxSize(6 << 20).setBlockSize(4096).build());
        TestServer capped =
            TestServer.start(
                dir.resolve("capped"),
                ServerConfig.loopback(0, dir.resolve("unused"))
                    .withUploads(
                        new UploadLimits(
                            small.getPath("/uploads"), 1L << 30, 1L << 30, Duration.ofHours(1))))) {
      Credential filler = capped.provision("filler");
      Credential other = capped.provision("other");
      Path big = randomFile("big.bin", 10L << 20);
      try (VerifiedConnection parallel = connect(capped, other);
          VerifiedConnection filling = connect(capped, filler)) {
        parallel.channel().send(new UploadBegin("small.bin", 2 << 20, false, false));
        parallel.channel().receive();
        parallel.channel().send(new UploadData(new byte[1 << 20]));

        UploadOutcome full =
            new Uploader(filling, UploadListener.silent()).upload(big, "big.bin", false, false);
        assertThat(full.stored()).isFalse();
        assertThat(full.reason()).isEqualTo("storage-error");
        assertThat(full.text()).contains("no space left");
        assertThat(filling.ping()).isPositive();

        parallel.channel().send(new UploadData(new byte[1 << 20]));
        parallel.channel().send(new UploadEnd(Digests.sha256(new byte[2 << 20])));
        assertThat(((UploadResult) parallel.channel().receive()).stored()).isTrue();
      }
      try (Stream<Path> left = Files.list(small.getPath("/uploads/filler"))) {
        assertThat(left).isEmpty();
      }
      assertThat(capped.awaitEvent("upload.failed").path("reason").asText())
          .isEqualTo("storage-error");
    }
  }

  /** Rewrites bytes of the file in place once the upload has sent {@code after} bytes. */
  private static UploadListener rewritingAt(Path file, long after, long at) {
    return new UploadListener() {
      boolean done;

      @Override
      public void started(String name, long size, long offset) {}

      @Override
      public void advanced(long position) {
        if (done || position < after) {
          return;
        }
        done = true;
        try (var channel =
            java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
          channel.write(java.nio.ByteBuffer.wrap("rewritten".getBytes()), at);
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }

      @Override
      public void ended(UploadOutcome outcome) {}
    };
  }

  @Test
  void aFileRewrittenInPlaceDuringItsUploadIsNotStored() throws IOException {
    long size = 8L << 20;
    Path file = randomFile("growing.bin", size);
    try (VerifiedConnection connection = connect(server, sensor)) {
      UploadOutcome outcome =
          new Uploader(connection, rewritingAt(file, 1 << 20, size - 4096))
              .upload(file, "growing.bin", false, false);

      assertThat(outcome.stored()).isFalse();
      assertThat(outcome.reason()).isEqualTo(Uploader.SOURCE_CHANGED);
      assertThat(outcome.describe()).contains("changed while it was being read");
      assertThat(connection.ping()).isNotNull();
    }
    assertThat(dir.resolve("server/uploads/sensor-1/growing.bin")).doesNotExist();
    JsonNode failed = server.awaitEvent("upload.failed");
    assertThat(failed.path("name").asText()).isEqualTo("growing.bin");
    // audited as what happened, the client giving the upload up, not as a short or wrong file
    assertThat(failed.path("reason").asText()).isEqualTo("source-changed");
  }

  @Test
  void aFileRewrittenInPlaceAfterItsLastChunkIsNotStoredEither() throws IOException {
    long size = 3L << 20;
    Path file = randomFile("late.bin", size);
    try (VerifiedConnection connection = connect(server, sensor)) {
      UploadOutcome outcome =
          new Uploader(connection, rewritingAt(file, size, 0))
              .upload(file, "late.bin", false, false);

      assertThat(outcome.stored()).isFalse();
      assertThat(outcome.reason()).isEqualTo(Uploader.SOURCE_CHANGED);
    }
    assertThat(dir.resolve("server/uploads/sensor-1/late.bin")).doesNotExist();
  }
}
