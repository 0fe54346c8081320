package dev.authgate.client.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.authgate.client.connect.Connector;
import dev.authgate.client.connect.HostKeyTrust;
import dev.authgate.client.connect.ServerAddress;
import dev.authgate.client.connect.VerifiedConnection;
import dev.authgate.client.upload.UploadListener;
import dev.authgate.client.upload.UploadOutcome;
import dev.authgate.client.upload.Uploader;
import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.server.testing.FaultProxy;
import dev.authgate.server.testing.FaultProxy.Fault;
import dev.authgate.server.testing.OpenSockets;
import dev.authgate.server.testing.TestServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Faults between a real client and a real server, injected by a loopback proxy: a reset, a
 * half-close or a flipped bit mid-upload, a stall, a slow link, a reset mid-handshake. After each,
 * the server has torn the session down, this JVM's descriptors are back to their baseline, no
 * partial upload is visible as a file, and {@code --resume} completes the file byte-identical.
 */
@Tag("system")
class FaultInjectionTest {
  private static final long SIZE = 8L << 20;

  @TempDir Path dir;
  TestServer server;
  Credential sensor;
  Path file;
  long descriptorsBefore;

  @BeforeEach
  void start() throws IOException {
    server = TestServer.start(dir.resolve("server"));
    sensor = server.provision("sensor-1");
    file = dir.resolve("data.bin");
    byte[] bytes = new byte[(int) SIZE];
    new Random(7).nextBytes(bytes);
    Files.write(file, bytes);
    descriptorsBefore = OpenSockets.count();
  }

  @AfterEach
  void stop() throws IOException {
    server.close();
  }

  private VerifiedConnection connect(int port) throws IOException {
    return new Connector(
            sensor.identity(),
            HostKeyTrust.of(sensor),
            Duration.ofSeconds(20),
            RandomSource.secure())
        .connect(new ServerAddress("127.0.0.1", port));
  }

  private Path stored() {
    return dir.resolve("server/uploads/sensor-1/data.bin");
  }

  /** Sessions torn down and sockets back to what they were before the test. */
  private void assertBackToBaseline() {
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              assertThat(server.server().verifiedSessions()).isZero();
              assertThat(OpenSockets.count()).isLessThanOrEqualTo(descriptorsBefore);
            });
  }

  @ParameterizedTest(name = "{0} mid-upload")
  @EnumSource(
      value = Fault.class,
      names = {"RESET", "HALF_CLOSE", "FLIP"})
  void aFaultMidUploadLeavesNothingVisibleAndResumeCompletesIdentically(Fault fault)
      throws Exception {
    try (FaultProxy proxy = FaultProxy.to(server.port(), fault, SIZE / 2)) {
      assertThatThrownBy(
              () -> {
                try (VerifiedConnection connection = connect(proxy.port())) {
                  new Uploader(connection, UploadListener.silent())
                      .upload(file, "data.bin", false, false);
                }
              })
          .isInstanceOf(IOException.class);
      assertThat(proxy.awaitInjected(10)).isTrue();
    }
    JsonNode failed = server.awaitEvent("upload.failed");
    assertThat(failed.path("reason").asText()).isEqualTo("interrupted");
    JsonNode closed = server.awaitEvent("session.closed");
    assertThat(closed.path("outcome").asText())
        .isEqualTo(
            switch (fault) {
              case FLIP -> "integrity";
              case HALF_CLOSE -> "malformed";
              default -> "connection-lost";
            });
    assertThat(stored()).doesNotExist();
    assertBackToBaseline();

    try (VerifiedConnection direct = connect(server.port())) {
      UploadOutcome outcome =
          new Uploader(direct, UploadListener.silent()).upload(file, "data.bin", false, true);
      assertThat(outcome.stored()).isTrue();
      assertThat(outcome.resumedFrom()).isPositive();
    }
    assertThat(Files.mismatch(file, stored())).isEqualTo(-1);
  }

  @Test
  void aStalledLinkThatRecoversCompletesTheUpload() throws Exception {
    try (FaultProxy proxy = FaultProxy.to(server.port(), Fault.STALL, SIZE / 2);
        VerifiedConnection connection = connect(proxy.port())) {
      UploadOutcome outcome =
          new Uploader(connection, UploadListener.silent()).upload(file, "data.bin", false, false);
      assertThat(outcome.stored()).isTrue();
      assertThat(proxy.awaitInjected(1)).isTrue();
    }
    assertThat(Files.mismatch(file, stored())).isEqualTo(-1);
    assertBackToBaseline();
  }

  @Test
  void aSlowLinkCompletesTheUpload() throws Exception {
    Path small =
        Files.write(
            dir.resolve("small.bin"), java.util.Arrays.copyOf(Files.readAllBytes(file), 1 << 20));
    try (FaultProxy proxy = FaultProxy.throttled(server.port(), 2L << 20);
        VerifiedConnection connection = connect(proxy.port())) {
      UploadOutcome outcome =
          new Uploader(connection, UploadListener.silent())
              .upload(small, "small.bin", false, false);
      assertThat(outcome.stored()).isTrue();
    }
    assertThat(Files.mismatch(small, dir.resolve("server/uploads/sensor-1/small.bin")))
        .isEqualTo(-1);
    assertBackToBaseline();
  }

  @Test
  void aResetMidHandshakeIsAuditedAndLeavesNothingBehind() throws Exception {
    try (FaultProxy proxy = FaultProxy.to(server.port(), Fault.RESET, 100)) {
      assertThatThrownBy(() -> connect(proxy.port()).close()).isInstanceOf(IOException.class);
    }
    assertThat(server.awaitEvent("auth.rejected").path("reason").asText()).isEqualTo("malformed");
    assertThat(server.events("auth.accepted")).isEmpty();
    assertBackToBaseline();
  }

  @Test
  void aFlippedBitInAPingEndsTheSessionWithAProtocolError() throws Exception {
    // AUTH is 279 bytes from the client; byte 300 lies in the first sealed frame.
    try (FaultProxy proxy = FaultProxy.to(server.port(), Fault.FLIP, 300);
        VerifiedConnection connection = connect(proxy.port())) {
      assertThatThrownBy(connection::ping).isInstanceOf(ProtocolException.class);
    }
    assertThat(server.awaitEvent("session.closed").path("outcome").asText()).isEqualTo("integrity");
    assertBackToBaseline();
  }
}
