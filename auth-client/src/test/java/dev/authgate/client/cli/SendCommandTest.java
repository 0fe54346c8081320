package dev.authgate.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.session.ChatMessage;
import dev.authgate.protocol.session.ChatMessage.Event;
import dev.authgate.protocol.session.SecureChannel;
import dev.authgate.server.connection.DatagramLimits;
import dev.authgate.server.connection.ServerConfig;
import dev.authgate.server.testing.RawClient;
import dev.authgate.server.testing.TestServer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code auth-client send}, over the session and as verified datagrams, to a real server. */
class SendCommandTest {
  @TempDir Path dir;
  TestServer server;
  Path sensorKey;
  RawClient listenerSocket;
  SecureChannel listener;

  @BeforeEach
  void start() throws IOException {
    server =
        TestServer.start(
            dir.resolve("server"),
            ServerConfig.loopback(0, dir.resolve("server/uploads"))
                .withDatagrams(new DatagramLimits(DatagramLimits.SAME_AS_TCP, 10, 100)));
    server.provision("sensor-1");
    Credential watcher = server.provision("watcher");
    sensorKey = server.credentialFile("sensor-1");
    listenerSocket = RawClient.connect(server.port());
    listener = listenerSocket.handshake(watcher.identity());
    listener.send(new ChatMessage.Join("telemetry"));
    assertThat(next().kind()).isEqualTo(Event.Kind.JOINED);
  }

  @AfterEach
  void stop() throws IOException {
    listenerSocket.close();
    server.close();
  }

  private Event next() throws IOException {
    while (true) {
      if (listener.receive() instanceof Event event) {
        return event;
      }
    }
  }

  private List<String> heardFromSensor(int count) throws IOException {
    List<String> texts = new ArrayList<>();
    while (texts.size() < count) {
      Event event = next();
      if (event.kind() == Event.Kind.MESSAGE && event.from().equals("sensor-1")) {
        texts.add(event.text());
      }
    }
    return texts;
  }

  @Test
  void wordsAreOneLineSaidInTheRoomOverTheSession() throws IOException {
    CliRun run =
        CliRun.client(
            "send",
            "--server",
            server.hostPort(),
            "--key",
            sensorKey.toString(),
            "--room",
            "telemetry",
            "temp=21.5",
            "rh=40");

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.err()).isEqualTo("sent 1 line to room 'telemetry'\n");
    assertThat(heardFromSensor(1)).containsExactly("temp=21.5 rh=40");
    assertThat(
            server
                .awaitEvent("chat.joined", e -> e.path("client_id").asText().equals("sensor-1"))
                .path("speak_only")
                .asBoolean())
        .as("a sender joins to speak only: it is sent nothing, so it is never a slow consumer")
        .isTrue();
  }

  @Test
  void withUdpEachStdinLineIsOneVerifiedDatagramAndTheServersCountIsReported() throws IOException {
    CliRun run =
        CliRun.clientWithInput(
            "reading 1\nreading 2\nreading 3\n",
            "send",
            "--server",
            server.hostPort(),
            "--key",
            sensorKey.toString(),
            "--room",
            "telemetry",
            "--udp");

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.err())
        .isEqualTo(
            "sent 3 datagrams to room 'telemetry' (UDP "
                + server.server().udpPort()
                + "): 3 received by the server, 0 lost\n");
    assertThat(heardFromSensor(3)).containsExactly("reading 1", "reading 2", "reading 3");
    JsonNode closed = server.awaitEvent("datagram.closed");
    assertThat(closed.path("client_id").asText()).isEqualTo("sensor-1");
    assertThat(closed.path("received").asLong()).isEqualTo(3);
    assertThat(
            server
                .awaitEvent("chat.joined", e -> e.path("client_id").asText().equals("sensor-1"))
                .path("speak_only")
                .asBoolean())
        .isTrue();
  }

  @Test
  void aLineTooLongForOneDatagramIsAUsageErrorBeforeAnythingIsSent() {
    CliRun run =
        CliRun.client(
            "send",
            "--server",
            server.hostPort(),
            "--key",
            sensorKey.toString(),
            "--udp",
            "x".repeat(1200));

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).contains("does not fit one datagram").contains("without --udp");
    assertThat(server.events("auth.accepted")).hasSize(1); // the listener's only
  }

  @Test
  void aServerThatTakesNoDatagramsIsSaidPlainly() throws IOException {
    TestServer plain = TestServer.start(dir.resolve("plain"));
    try {
      plain.provision("sensor-1");
      CliRun run =
          CliRun.client(
              "send",
              "--server",
              plain.hostPort(),
              "--key",
              plain.credentialFile("sensor-1").toString(),
              "--udp",
              "hello");

      assertThat(run.exit()).isEqualTo(5);
      assertThat(run.err()).contains("the server takes no datagrams");
    } finally {
      plain.close();
    }
  }
}
