package dev.authgate.client.upload;

import static org.assertj.core.api.Assertions.assertThat;

import dev.authgate.client.connect.Connector;
import dev.authgate.client.connect.HostKeyTrust;
import dev.authgate.client.connect.ServerAddress;
import dev.authgate.client.connect.VerifiedConnection;
import dev.authgate.protocol.crypto.Digests;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.session.SecureChannel;
import dev.authgate.protocol.session.SessionMessage;
import dev.authgate.protocol.session.UploadBegin;
import dev.authgate.protocol.session.UploadData;
import dev.authgate.protocol.session.UploadEnd;
import dev.authgate.protocol.session.UploadReady;
import dev.authgate.protocol.session.UploadResult;
import dev.authgate.server.testing.TestServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a server stop does to a verified client that is in the middle of an upload. */
class ShutdownTest {
  @TempDir Path dir;
  final byte[] content = RandomSource.secure().bytes(3 << 20);

  private VerifiedConnection connect(TestServer server, Credential credential) throws IOException {
    return new Connector(
            credential.identity(),
            HostKeyTrust.of(credential),
            Duration.ofSeconds(10),
            RandomSource.secure())
        .connect(new ServerAddress("127.0.0.1", server.port()));
  }

  private static void beginAndSendFirstMegabyte(SecureChannel channel, byte[] content)
      throws IOException {
    channel.send(new UploadBegin("data.bin", content.length, false, false));
    assertThat(channel.receive()).isInstanceOf(UploadReady.class);
    channel.send(new UploadData(Arrays.copyOf(content, 1 << 20)));
  }

  @Test
  void anUploadInProgressMayFinishWithinTheGraceThenTheSessionHearsShutdown() throws Exception {
    TestServer server = TestServer.start(dir.resolve("server"));
    Credential sensor = server.provision("sensor-1");
    try (VerifiedConnection connection = connect(server, sensor)) {
      SecureChannel channel = connection.channel();
      beginAndSendFirstMegabyte(channel, content);
      Awaitility.await().until(() -> server.server() != null);
      CompletableFuture<Void> stopping =
          CompletableFuture.runAsync(() -> server.server().close(Duration.ofSeconds(20)));

      for (int from = 1 << 20; from < content.length; from += 1 << 20) {
        channel.send(new UploadData(Arrays.copyOfRange(content, from, from + (1 << 20))));
      }
      channel.send(new UploadEnd(Digests.sha256(content)));
      assertThat(((UploadResult) channel.receive()).stored()).isTrue();
      SessionMessage last = channel.receive();
      assertThat(last).isInstanceOf(SessionMessage.Close.class);
      assertThat(((SessionMessage.Close) last).code()).isEqualTo(SessionMessage.Close.SHUTDOWN);
      stopping.get(10, TimeUnit.SECONDS);
    }
    server.close();
    assertThat(Files.readAllBytes(dir.resolve("server/uploads/sensor-1/data.bin")))
        .isEqualTo(content);
    assertThat(server.events("server.stopped")).hasSize(1);
  }

  @Test
  void anUploadCutAtTheEndOfTheGraceLeavesNothingVisibleAndResumesAfterRestart() throws Exception {
    Path root = dir.resolve("server");
    Path source = Files.write(dir.resolve("data.bin"), content);
    TestServer first = TestServer.start(root);
    Credential sensor = first.provision("sensor-1");
    try (VerifiedConnection connection = connect(first, sensor)) {
      beginAndSendFirstMegabyte(connection.channel(), content);
      Awaitility.await().until(() -> partialBytes(root) == 1 << 20);
      first.server().close(Duration.ofMillis(200));
    }
    first.close();
    assertThat(first.events("server.stopped")).hasSize(1);
    assertThat(first.events("upload.failed"))
        .singleElement()
        .satisfies(e -> assertThat(e.path("reason").asText()).isEqualTo("interrupted"));
    assertThat(root.resolve("uploads/sensor-1/data.bin")).doesNotExist();

    try (TestServer second = TestServer.start(root);
        VerifiedConnection connection = connect(second, sensor)) {
      UploadOutcome outcome =
          new Uploader(connection, UploadListener.silent()).upload(source, "data.bin", false, true);
      assertThat(outcome.stored()).isTrue();
      assertThat(outcome.resumedFrom()).isEqualTo(1 << 20);
    }
    assertThat(Files.readAllBytes(root.resolve("uploads/sensor-1/data.bin"))).isEqualTo(content);
  }

  private static long partialBytes(Path root) throws IOException {
    Path clientDir = root.resolve("uploads/sensor-1");
    if (!Files.isDirectory(clientDir)) {
      return -1;
    }
    try (Stream<Path> files = Files.list(clientDir)) {
      return files
          .filter(p -> p.getFileName().toString().startsWith(".authgate-part-"))
          .mapToLong(p -> p.toFile().length())
          .sum();
    }
  }
}
