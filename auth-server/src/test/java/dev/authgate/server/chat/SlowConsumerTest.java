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
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member dropped for falling behind is told so: its NOTICE and CLOSE (slow) come after what its
 * socket already held, however long it takes to read that (up to the write timeout), then the end
 * of the stream; never a frame cut in half. Its session ends as {@code slow-consumer}.
 */
class SlowConsumerTest {
  @TempDir Path dir;
  TestServer server;
  Credential talker;
  Credential slow;

  @BeforeEach
  void start() throws IOException {
    server =
        TestServer.start(
            dir.resolve("server"),
            ServerConfig.loopback(0, dir.resolve("server/uploads"))
                .withChat(new ChatLimits(20, 8)));
    talker = server.provision("talker");
    slow = server.provision("slow");
  }

  @AfterEach
  void stop() throws IOException {
    server.close();
  }

  private int sent;

  /** Whether the member was dropped; asked every 100 messages (reading the audit log). */
  private boolean dropped() {
    return ++sent % 100 == 0
        && server.events("chat.left").stream()
            .anyMatch(e -> e.path("reason").asText().equals("slow-consumer"));
  }

  @Test
  void aDroppedMemberThatReadsLateStillGetsItsNoticeAndCloseAndTheAuditSaysSlowConsumer()
      throws Exception {
    try (RawClient talking = RawClient.connect(server.port());
        RawClient reading = RawClient.connect(server.port(), "127.0.0.2", 4096)) {
      SecureChannel room = talking.handshake(talker.identity());
      room.send(new ChatMessage.Join("plant"));
      SecureChannel member = reading.handshake(slow.identity());
      member.send(new ChatMessage.Join("plant"));
      server.awaitEvent("chat.joined", e -> e.path("client_id").asText().equals("slow"));

      // Enough to fill the member's socket buffers, and no more once it is dropped: its grace
      // starts then, and the test must not spend it sending.
      String reading4k = "x".repeat(4000);
      for (int i = 0; i < 4_000 && !dropped(); i++) {
        room.send(ChatMessage.Say.of(i + " " + reading4k));
      }
      server.awaitEvent(
          "chat.left",
          e ->
              e.path("client_id").asText().equals("slow")
                  && e.path("reason").asText().equals("slow-consumer"));
      // A dropped member that asks to join again is on its way out: it joins nothing, and leaves
      // no ghost in the room once its connection ends.
      member.send(new ChatMessage.Join("plant"));
      // Later than the two seconds the server used to wait before cutting the socket.
      Thread.sleep(3_000);

      List<SessionMessage> tail = new ArrayList<>();
      try {
        while (true) {
          SessionMessage message = member.receive();
          if (!(message instanceof Event e && e.kind() == Event.Kind.MESSAGE)) {
            tail.add(message);
          }
        }
      } catch (EOFException end) {
        // the end of the stream, after the CLOSE
      }
      assertThat(tail).hasSizeGreaterThanOrEqualTo(2);
      assertThat(tail.get(tail.size() - 2))
          .isInstanceOfSatisfying(
              Event.class,
              notice -> {
                assertThat(notice.kind()).isEqualTo(Event.Kind.NOTICE);
                assertThat(notice.text()).startsWith("dropped from chat: ");
              });
      assertThat(tail.get(tail.size() - 1))
          .isEqualTo(new SessionMessage.Close(SessionMessage.Close.SLOW, "too slow"));
      reading.shutdownOutput(); // the member goes: its session ends
      assertThat(
              server
                  .awaitEvent("session.closed", e -> e.path("client_id").asText().equals("slow"))
                  .path("outcome")
                  .asText())
          .isEqualTo("slow-consumer");
      room.send(new ChatMessage.Who());
      Event who = null;
      while (who == null || who.kind() != Event.Kind.WHO) {
        who = room.receive() instanceof Event e ? e : null;
      }
      assertThat(who.text()).isEqualTo("talker");
    }
  }
}
