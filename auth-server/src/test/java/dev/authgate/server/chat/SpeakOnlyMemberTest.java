package dev.authgate.server.chat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.session.ChatMessage;
import dev.authgate.protocol.session.ChatMessage.Event;
import dev.authgate.protocol.session.SecureChannel;
import dev.authgate.protocol.session.SessionMessage;
import dev.authgate.server.connection.ServerConfig;
import dev.authgate.server.testing.RawClient;
import dev.authgate.server.testing.TestServer;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member that joins to speak only (CHAT_JOIN flag bit 0: {@code auth-client send}) hears nothing
 * it did not ask for, so a busy room can never make it a slow consumer; a member that hears the
 * room and stops reading is dropped as before.
 */
class SpeakOnlyMemberTest {
  @TempDir Path dir;
  TestServer server;
  Credential talker;
  Credential sensor;
  Credential stuck;

  @BeforeEach
  void start() throws IOException {
    server =
        TestServer.start(
            dir.resolve("server"),
            ServerConfig.loopback(0, dir.resolve("server/uploads"))
                .withChat(new ChatLimits(20, 8)));
    talker = server.provision("talker");
    sensor = server.provision("sensor");
    stuck = server.provision("stuck");
  }

  @AfterEach
  void stop() throws IOException {
    server.close();
  }

  private static Event next(SecureChannel channel) throws IOException {
    while (true) {
      SessionMessage message = channel.receive();
      if (message instanceof Event event) {
        return event;
      }
    }
  }

  private static SecureChannel joined(SecureChannel channel, String id, boolean speakOnly)
      throws IOException {
    channel.send(new ChatMessage.Join("plant", speakOnly));
    while (true) {
      Event event = next(channel);
      if (event.kind() == Event.Kind.JOINED && event.from().equals(id)) {
        return channel;
      }
    }
  }

  @Test
  void aSpeakOnlyMemberThatNeverReadsIsNotDroppedAndHearsOnlyItsOwnAnswers() throws Exception {
    try (RawClient talking = RawClient.connect(server.port());
        RawClient speaking = RawClient.connect(server.port(), "127.0.0.2", 4096);
        RawClient stopped = RawClient.connect(server.port(), "127.0.0.3", 4096)) {
      SecureChannel room = joined(talking.handshake(talker.identity()), "talker", false);
      for (int i = 0; i < 5; i++) {
        room.send(ChatMessage.Say.of("before " + i)); // the history a hearing member is replayed
      }
      // Neither reads from here on: the sensor only speaks, the stuck member stopped reading.
      SecureChannel speaker = speaking.handshake(sensor.identity());
      speaker.send(new ChatMessage.Join("plant", true));
      SecureChannel deaf = stopped.handshake(stuck.identity());
      deaf.send(new ChatMessage.Join("plant"));
      server.awaitEvent("chat.joined", e -> e.path("client_id").asText().equals("stuck"));

      // 16 MB: more than the socket buffers of a member that stopped reading can hold
      String reading = "x".repeat(4000);
      for (int i = 0; i < 4_000; i++) {
        room.send(ChatMessage.Say.of(i + " " + reading));
      }
      room.send(new SessionMessage.Ping(7));
      while (!(room.receive() instanceof SessionMessage.Pong)) {
        // the joins, and the stuck member leaving
      }

      // The control: a member that hears the room and stops reading is dropped ...
      server.awaitEvent(
          "chat.left",
          e ->
              e.path("client_id").asText().equals("stuck")
                  && e.path("reason").asText().equals("slow-consumer"));
      // ... the speaker is not: it was sent nothing but its own JOINED, so it is still in.
      assertThat(server.events("chat.left"))
          .noneMatch(e -> e.path("client_id").asText().equals("sensor"));
      Event first = next(speaker);
      assertThat(first.kind()).isEqualTo(Event.Kind.JOINED);
      assertThat(first.from()).isEqualTo("sensor");
      speaker.send(new ChatMessage.Who());
      Event answer = next(speaker);
      assertThat(answer.kind())
          .as("no history, no message, no join: %s", answer)
          .isEqualTo(Event.Kind.WHO);
      assertThat(answer.text()).contains("talker").contains("sensor");

      speaker.send(ChatMessage.Say.of("temp=21.5"));
      Event heard;
      do {
        heard = next(room);
      } while (heard.kind() != Event.Kind.MESSAGE);
      assertThat(heard.from()).isEqualTo("sensor");
      assertThat(heard.text()).isEqualTo("temp=21.5");
    }
  }
}
