package dev.authgate.server.connection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.crypto.ScramKeys;
import dev.authgate.protocol.frame.Frame;
import dev.authgate.protocol.frame.FrameCodec;
import dev.authgate.protocol.frame.FrameType;
import dev.authgate.protocol.handshake.ClientHandshake;
import dev.authgate.protocol.keyfile.ClientIdentity;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.session.ChatMessage;
import dev.authgate.protocol.session.SecureChannel;
import dev.authgate.protocol.session.SessionMessage;
import dev.authgate.protocol.session.UploadReady;
import dev.authgate.protocol.session.UploadResult;
import dev.authgate.server.testing.RawClient;
import dev.authgate.server.testing.TestServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server against scripted peers on real sockets; every outcome is checked in the audit. */
class AuthServerTest {
  @TempDir Path dir;
  TestServer server;
  Credential sensor;

  @BeforeEach
  void start() throws IOException {
    server = TestServer.start(dir, ServerConfig.loopback(0, dir.resolve("uploads")));
    sensor = server.provision("sensor-1");
  }

  @AfterEach
  void stop() throws IOException {
    server.close();
  }

  private static ClientIdentity identity(String id, ScramKeys keys) {
    return new ClientIdentity(id, "k1", keys);
  }

  @Test
  void acceptsAClientHoldingItsSecretAndAuditsClientAndKeyIds() throws IOException {
    try (RawClient client = RawClient.connect(server.port())) {
      SecureChannel channel = client.handshake(sensor.identity());
      channel.send(new SessionMessage.Ping(42));
      assertThat(channel.receive()).isEqualTo(new SessionMessage.Pong(42));
      channel.send(new SessionMessage.Close(SessionMessage.Close.NORMAL, "bye"));
    }
    JsonNode accepted = server.awaitEvent("auth.accepted");
    assertThat(accepted.path("client_id").asText()).isEqualTo("sensor-1");
    assertThat(accepted.path("key_id").asText()).isEqualTo("k1");
    assertThat(accepted.path("remote").asText()).startsWith("127.0.0.1:");
    JsonNode closed = server.awaitEvent("session.closed");
    assertThat(closed.path("outcome").asText()).isEqualTo("closed");
    assertThat(closed.path("bytes_in").asLong()).isPositive();
    assertThat(closed.path("conn").asText()).isEqualTo(accepted.path("conn").asText());
  }

  @Test
  void anUnknownClientGetsTheSameBytesAsAWrongProof() throws IOException {
    ScramKeys wrong = ScramKeys.fromSaltedPassword(RandomSource.secure().bytes(32));
    byte[] badProofAnswer = refusalBytes(identity("sensor-1", wrong));
    byte[] unknownAnswer = refusalBytes(identity("no-such-client", sensor.scramKeys()));

    assertThat(unknownAnswer).isEqualTo(badProofAnswer);
    assertThat(
            server
                .awaitEvent("auth.rejected", e -> e.path("reason").asText().equals("bad-proof"))
                .path("client_id")
                .asText())
        .isEqualTo("sensor-1");
    assertThat(
            server
                .awaitEvent(
                    "auth.rejected", e -> e.path("reason").asText().equals("unknown-client"))
                .path("client_id")
                .asText())
        .isEqualTo("no-such-client");
  }

  private byte[] refusalBytes(ClientIdentity identity) throws IOException {
    try (RawClient client = RawClient.connect(server.port())) {
      ClientHandshake handshake =
          new ClientHandshake(identity, RawClient.ANY_HOST_KEY, RandomSource.secure());
      client.send(handshake.onHello(client.readFrame()));
      return client.readToEnd();
    }
  }

  @Test
  void aReplayedAuthIsRefused() throws IOException {
    byte[] recordedAuth;
    try (RawClient first = RawClient.connect(server.port())) {
      first.handshake(sensor.identity());
      byte[] sent = first.sentBytes();
      recordedAuth = Arrays.copyOf(sent, FrameCodec.HEADER_BYTES + 274);
    }
    try (RawClient replay = RawClient.connect(server.port())) {
      replay.readFrame();
      replay.send(recordedAuth);
      Frame answer = replay.readFrame();
      assertThat(answer.type()).isEqualTo(FrameType.REFUSED);
    }
    assertThat(server.awaitEvent("auth.rejected").path("reason").asText()).isEqualTo("malformed");
    assertThat(server.events("auth.accepted")).hasSize(1);
  }

  @Test
  void theClientIdNeverAppearsInClearOnTheWire() throws IOException {
    try (RawClient client = RawClient.connect(server.port())) {
      SecureChannel channel = client.handshake(sensor.identity());
      channel.send(new SessionMessage.Ping(1));
      channel.receive();
      String wire =
          new String(client.sentBytes(), StandardCharsets.ISO_8859_1)
              + new String(client.receivedBytes(), StandardCharsets.ISO_8859_1);
      assertThat(client.receivedBytes().length).isGreaterThan(100);
      assertThat(wire).doesNotContain("sensor-1").doesNotContain("sensor");
    }
  }

  /** A second server with a short handshake deadline, for the tests about that deadline only. */
  private TestServer withShortDeadline() throws IOException {
    return TestServer.start(
        dir.resolve("short"),
        ServerConfig.loopback(0, dir.resolve("short-uploads"))
            .withHandshakeTimeout(Duration.ofMillis(500)));
  }

  @Test
  void aSilentClientIsCutAtTheHandshakeDeadline() throws IOException {
    try (TestServer server = withShortDeadline();
        RawClient client = RawClient.connect(server.port())) {
      assertThat(client.readFrame().type()).isEqualTo(FrameType.HELLO);
      Frame answer = client.readFrame();
      assertThat(answer.type()).isEqualTo(FrameType.REFUSED);
      assertThat(answer.payload()).containsExactly(0x04);
      JsonNode rejected = server.awaitEvent("auth.rejected");
      assertThat(rejected.path("reason").asText()).isEqualTo("handshake-timeout");
    }
  }

  @Test
  void aClientDrippingBytesIsCutAtTheTotalDeadlineNotPerRead() throws Exception {
    try (TestServer server = withShortDeadline();
        RawClient client = RawClient.connect(server.port())) {
      client.readFrame();
      byte[] auth = new byte[FrameCodec.HEADER_BYTES + 274];
      auth[0] = 0x02;
      auth[3] = 0x01;
      auth[4] = 0x12;
      long start = System.nanoTime();
      for (int i = 0; i < auth.length; i++) {
        try {
          client.send(new byte[] {auth[i]});
        } catch (IOException e) {
          break;
        }
        if (client.input().available() > 0) {
          break;
        }
        Thread.sleep(20);
      }
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
      assertThat(server.awaitEvent("auth.rejected").path("reason").asText())
          .isEqualTo("handshake-timeout");
    }
  }

  @Test
  void garbageIsCutAsMalformed() throws IOException {
    assertMalformed("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void aLengthPrefixOfTwoToThe31MinusOneIsCutWithoutAllocating() throws IOException {
    assertMalformed(new byte[] {0x02, 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff});
    assertThat(server.awaitEvent("auth.rejected").path("detail").asText())
        .contains("2147483647")
        .contains("cap of 4096");
  }

  @Test
  void aTruncatedFrameIsCutAsMalformed() throws IOException {
    try (RawClient client = RawClient.connect(server.port())) {
      client.readFrame();
      client.send(new byte[] {0x02, 0, 0, 1, 0x12, 1, 2, 3});
      client.shutdownOutput();
    }
    JsonNode rejected = server.awaitEvent("auth.rejected");
    assertThat(rejected.path("reason").asText()).isEqualTo("malformed");
    assertThat(rejected.path("detail").asText()).contains("ended inside a frame");
  }

  private void assertMalformed(byte[] bytes) throws IOException {
    try (RawClient client = RawClient.connect(server.port())) {
      client.readFrame();
      client.send(bytes);
      Frame answer = client.readFrame();
      assertThat(answer.type()).isEqualTo(FrameType.REFUSED);
      assertThat(answer.payload()).containsExactly(0x02);
    }
    assertThat(server.awaitEvent("auth.rejected").path("reason").asText()).isEqualTo("malformed");
  }

  @Test
  void aSealedFrameAlteredByOneBitEndsTheSession() throws IOException {
    try (RawClient client = RawClient.connect(server.port())) {
      SecureChannel channel = client.handshake(sensor.identity());
      channel.send(new SessionMessage.Ping(1));
      assertThat(channel.receive()).isEqualTo(new SessionMessage.Pong(1));
      client.flipBitOfNextSend(FrameCodec.HEADER_BYTES * 8 + 3);
      channel.send(new SessionMessage.Ping(2));
      assertThat(channel.receive())
          .isEqualTo(new SessionMessage.Close(SessionMessage.Close.PROTOCOL_ERROR, "integrity"));
      assertThatThrownBy(channel::receive).isInstanceOf(java.io.EOFException.class);
    }
    JsonNode closed = server.awaitEvent("session.closed");
    assertThat(closed.path("outcome").asText()).isEqualTo("integrity");
  }

  @Test
  void serverOnlyMessagesFromAClientEndTheSessionWithCloseProtocolError() throws IOException {
    List<SessionMessage> serverOnly =
        List.of(
            new ChatMessage.Event(ChatMessage.Event.Kind.MESSAGE, 0, "lobby", "admin", "forged"),
            new UploadResult(true, 1, new byte[32], "", "stored"),
            new UploadReady(0, new byte[32]));
    for (SessionMessage message : serverOnly) {
      try (RawClient client = RawClient.connect(server.port())) {
        SecureChannel channel = client.handshake(sensor.identity());
        channel.send(message);
        assertThat(channel.receive())
            .as("answer to %s", message)
            .isEqualTo(new SessionMessage.Close(SessionMessage.Close.PROTOCOL_ERROR, "malformed"));
        assertThatThrownBy(channel::receive).isInstanceOf(java.io.EOFException.class);
      }
    }
    org.awaitility.Awaitility.await()
        .until(
            () ->
                server.events("session.closed").stream()
                        .filter(e -> e.path("outcome").asText().equals("malformed"))
                        .count()
                    == 3);
  }

  @Test
  void aChatJoinIsAcknowledgedWithAJoinedEventNamingTheJoiner() throws IOException {
    try (RawClient client = RawClient.connect(server.port())) {
      SecureChannel channel = client.handshake(sensor.identity());
      channel.send(new ChatMessage.Join("lobby"));
      SessionMessage answer = channel.receive();
      assertThat(answer).isInstanceOf(ChatMessage.Event.class);
      var event = (ChatMessage.Event) answer;
      assertThat(event.kind()).isEqualTo(ChatMessage.Event.Kind.JOINED);
      assertThat(event.from()).isEqualTo("sensor-1");
      assertThat(event.room()).isEqualTo("lobby");
    }
  }

  @Test
  void aClaimedIdWithLineBreaksStaysOnOneEscapedAuditLine() throws IOException {
    refusalBytes(identity("evil\r\n{\"event\":\"auth.accepted\"}\u0007", sensor.scramKeys()));
    server.awaitEvent("auth.rejected");
    List<String> lines = Files.readAllLines(server.auditFile());
    String rejected =
        lines.stream().filter(l -> l.contains("auth.rejected")).findFirst().orElseThrow();
    assertThat(rejected).contains("evil\\r\\n{\\\"event\\\":\\\"auth.accepted\\\"}\\u0007");
    assertThat(server.events("auth.accepted")).isEmpty();
    assertThat(server.awaitEvent("auth.rejected").path("reason").asText())
        .isEqualTo("unknown-client");
  }

  @Test
  void aSymlinkedOrForeignKeyFileIsSkippedWhileEveryOtherClientIsServed() throws IOException {
    Credential other = server.provision("other");
    Path keys = server.keystore().path();
    Path elsewhere = dir.resolve("elsewhere.keys");
    Files.move(keys.resolve("other.keys"), elsewhere);
    Files.createSymbolicLink(keys.resolve("other.keys"), elsewhere);
    server.reloadKeys();

    try (RawClient client = RawClient.connect(server.port())) {
      SecureChannel channel = client.handshake(sensor.identity());
      channel.send(new SessionMessage.Ping(7));
      assertThat(channel.receive()).isEqualTo(new SessionMessage.Pong(7));
    }
    assertThat(refusalBytes(other.identity())).containsExactly(0x04, 0, 0, 0, 1, 0x01);
    assertThat(server.keystore().load().skipped())
        .singleElement()
        .satisfies(s -> assertThat(s.problem()).contains("other.keys is a symbolic link"));
  }

  @Test
  void aSecondServerOnTheSamePortGetsAClearError() {
    ServerConfig config = ServerConfig.loopback(server.port(), dir.resolve("uploads"));
    assertThatThrownBy(() -> TestServer.start(dir.resolve("second"), config))
        .isInstanceOf(IOException.class)
        .hasMessage("cannot listen on 127.0.0.1:" + server.port() + ": address already in use");
  }

  @Test
  void servesOverIpv6Loopback() throws Exception {
    ServerConfig config =
        ServerConfig.loopback(0, dir.resolve("v6-uploads"))
            .withAddress(java.net.InetAddress.getByName("::1"), 0);
    try (TestServer v6 = TestServer.start(dir.resolve("v6"), config)) {
      Credential credential = v6.provision("six");
      try (java.net.Socket socket = new java.net.Socket("::1", v6.port())) {
        socket.setSoTimeout(5000);
        ClientHandshake handshake =
            new ClientHandshake(
                credential.identity(), RawClient.ANY_HOST_KEY, RandomSource.secure());
        socket
            .getOutputStream()
            .write(
                handshake.onHello(
                    FrameCodec.read(socket.getInputStream(), FrameCodec.PRE_AUTH_MAX_PAYLOAD)));
        assertThat(
                handshake
                    .onWelcome(
                        FrameCodec.read(socket.getInputStream(), FrameCodec.PRE_AUTH_MAX_PAYLOAD))
                    .serverId())
            .isEqualTo("authgate");
      }
      assertThat(v6.awaitEvent("auth.accepted").path("remote").asText()).startsWith("[");
    }
  }
}
