package dev.authgate.client.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.authgate.client.chat.ChatClient;
import dev.authgate.client.connect.Connector;
import dev.authgate.client.connect.HostKeyTrust;
import dev.authgate.client.connect.ServerAddress;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.session.ChatMessage.Event;
import dev.authgate.server.testing.FaultProxy;
import dev.authgate.server.testing.FaultProxy.Fault;
import dev.authgate.server.testing.OpenSockets;
import dev.authgate.server.testing.TestServer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Faults between a real chat client and a real server, injected by a loopback proxy in the talker's
 * direction while a second member listens directly. After a reset, a half-close or a flipped bit,
 * the talker's session is torn down and audited, the listener hears every message sent before the
 * fault, nothing corrupted, and that the talker left; the room and this JVM's sockets are back to
 * their baseline. A stall or a slow link delays messages but loses none.
 */
@Tag("system")
class ChatFaultInjectionTest {
  /** Past AUTH (279 bytes) and JOIN, and inside the second of the talker's 1 000-byte SAYs. */
  private static final long FAULT_AT = 279 + 1_500;

  private static final String ROOM = "faults";

  @TempDir Path dir;
  TestServer server;
  Credential talker;
  Credential listener;
  final List<ChatClient> clients = new CopyOnWriteArrayList<>();
  long descriptorsBefore;

  /** A member that records what it hears and how its session ended. */
  static final class Ear implements ChatClient.Listener {
    final List<Event> events = new CopyOnWriteArrayList<>();
    volatile Exception failure;
    volatile boolean ended;

    @Override
    public void onEvent(Event event) {
      events.add(event);
    }

    @Override
    public void onEnd(String reason, Exception failure) {
      this.failure = failure;
      ended = true;
    }

    List<String> messagesFrom(String id) {
      return events.stream()
          .filter(e -> e.kind() == Event.Kind.MESSAGE && e.from().equals(id))
          .map(Event::text)
          .toList();
    }

    boolean heardLeave(String id) {
      return events.stream().anyMatch(e -> e.kind() == Event.Kind.LEFT && e.from().equals(id));
    }
  }

  @BeforeEach
  void start() throws IOException {
    server = TestServer.start(dir.resolve("server"));
    talker = server.provision("talker");
    listener = server.provision("listener");
    descriptorsBefore = OpenSockets.count();
  }

  @AfterEach
  void stop() throws IOException {
    for (ChatClient client : clients) {
      client.close();
    }
    server.close();
  }

  private ChatClient member(Credential credential, int port, Ear ear) throws IOException {
    ChatClient chat =
        new ChatClient(
            new Connector(
                    credential.identity(),
                    HostKeyTrust.of(credential),
                    Duration.ofSeconds(20),
                    RandomSource.secure())
                .connect(new ServerAddress("127.0.0.1", port)));
    clients.add(chat);
    chat.start(ear);
    chat.join(ROOM);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                ear.events.stream()
                    .anyMatch(
                        e ->
                            e.kind() == Event.Kind.JOINED
                                && e.from().equals(credential.clientId())));
    return chat;
  }

  private static String line(int i) {
    return i + ":" + "x".repeat(1_000 - String.valueOf(i).length() - 1);
  }

  @ParameterizedTest(name = "{0} mid-message")
  @EnumSource(
      value = Fault.class,
      names = {"RESET", "HALF_CLOSE", "FLIP"})
  void aFaultMidMessageEndsOnlyTheTalkersSessionAndNothingCorruptIsHeard(Fault fault)
      throws Exception {
    Ear heard = new Ear();
    ChatClient listening = member(listener, server.port(), heard);
    Ear talked = new Ear();
    try (FaultProxy proxy = FaultProxy.to(server.port(), fault, FAULT_AT)) {
      ChatClient talking = member(talker, proxy.port(), talked);
      for (int i = 0; i < 3; i++) {
        try {
          talking.say(line(i));
        } catch (IOException e) {
          break; // the reset reached the talker: what it is for
        }
      }
      assertThat(proxy.awaitInjected(10)).isTrue();
      await().atMost(Duration.ofSeconds(20)).until(() -> heard.heardLeave("talker"));
      // The talker learns it too, before the proxy goes away: by a reset, or the server's CLOSE.
      await().atMost(Duration.ofSeconds(20)).until(() -> talked.ended);
    }
    assertThat(heard.messagesFrom("talker")).containsExactly(line(0));
    assertThat(
            server
                .awaitEvent("session.closed", e -> e.path("client_id").asText().equals("talker"))
                .path("outcome")
                .asText())
        .isEqualTo(
            switch (fault) {
              case FLIP -> "integrity";
              case HALF_CLOSE -> "malformed";
              default -> "connection-lost";
            });
    assertThat(
            server
                .awaitEvent("chat.left", e -> e.path("client_id").asText().equals("talker"))
                .path("room")
                .asText())
        .isEqualTo(ROOM);

    // The listener's session is untouched, and the room is down to it alone.
    listening.who();
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                heard.events.stream()
                    .anyMatch(e -> e.kind() == Event.Kind.WHO && e.text().equals("listener")));
    clients.remove(listening);
    listening.close();
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              assertThat(server.server().verifiedSessions()).isZero();
              assertThat(OpenSockets.count()).isLessThanOrEqualTo(descriptorsBefore);
            });
  }

  @Test
  void aStalledLinkDelaysTheTalkersMessagesButLosesNoneAndKeepsTheirOrder() throws Exception {
    Ear heard = new Ear();
    member(listener, server.port(), heard);
    try (FaultProxy proxy = FaultProxy.to(server.port(), Fault.STALL, FAULT_AT)) {
      ChatClient talking = member(talker, proxy.port(), new Ear());
      for (int i = 0; i < 5; i++) {
        talking.say(line(i));
      }
      assertThat(proxy.awaitInjected(10)).isTrue();
      await().atMost(Duration.ofSeconds(30)).until(() -> heard.messagesFrom("talker").size() == 5);
      assertThat(heard.messagesFrom("talker"))
          .containsExactlyElementsOf(
              IntStream.range(0, 5).mapToObj(ChatFaultInjectionTest::line).toList());
    }
  }

  @Test
  void aServerThatFallsSilentIsNoticedAfterThreeUnansweredKeepalivesAndNotBefore()
      throws Exception {
    Duration keepalive = Duration.ofSeconds(1);
    // Past AUTH and JOIN: from the first PING on, nothing reaches the server for a minute.
    try (FaultProxy proxy = FaultProxy.stalling(server.port(), 279 + 40, 60_000)) {
      ChatClient chat =
          new ChatClient(
              new Connector(
                      talker.identity(),
                      HostKeyTrust.of(talker),
                      Duration.ofSeconds(20),
                      RandomSource.secure())
                  .connect(new ServerAddress("127.0.0.1", proxy.port())),
              keepalive);
      clients.add(chat);
      Ear ear = new Ear();
      chat.start(ear);
      chat.join(ROOM);
      await().atMost(Duration.ofSeconds(20)).until(() -> !ear.events.isEmpty());
      long joined = System.nanoTime();

      await().atMost(Duration.ofSeconds(30)).until(() -> ear.ended);
      long silentMillis = (System.nanoTime() - joined) / 1_000_000;
      assertThat(proxy.awaitInjected(1)).isTrue();
      assertThat(silentMillis).isGreaterThanOrEqualTo(2_500);
      assertThat(ear.failure)
          .isInstanceOf(java.net.SocketTimeoutException.class)
          .hasMessageContaining("no word from the server for 3000 ms");
    }
  }

  @Test
  void aQuietRoomWithALiveServerKeepsTheSessionPastManyKeepalives() throws Exception {
    Ear heard = new Ear();
    member(talker, server.port(), heard);
    ChatClient chat =
        new ChatClient(
            new Connector(
                    listener.identity(),
                    HostKeyTrust.of(listener),
                    Duration.ofSeconds(20),
                    RandomSource.secure())
                .connect(new ServerAddress("127.0.0.1", server.port())),
            Duration.ofMillis(1_500));
    clients.add(chat);
    Ear ear = new Ear();
    chat.start(ear);
    chat.join(ROOM);
    // Five keepalive intervals of silence in the room: every PING is answered, so the session
    // stays (the old timeout on each read would have cut it after three with no PONG in between).
    // Only a 4.5 s stall of a live server could end it; a shorter interval made a busy machine's
    // pauses look like a dead server.
    Thread.sleep(7_500);
    assertThat(ear.ended).isFalse();
    chat.say("still here");
    await().atMost(Duration.ofSeconds(20)).until(() -> !heard.messagesFrom("listener").isEmpty());
    assertThat(ear.ended).isFalse();
  }

  @Test
  void aSlowLinkDeliversEveryMessageInOrder() throws Exception {
    Ear heard = new Ear();
    member(listener, server.port(), heard);
    try (FaultProxy proxy = FaultProxy.throttled(server.port(), 16 * 1024)) {
      ChatClient talking = member(talker, proxy.port(), new Ear());
      for (int i = 0; i < 20; i++) {
        talking.say(line(i));
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> heard.messagesFrom("talker").size() == 20);
      assertThat(heard.messagesFrom("talker"))
          .containsExactlyElementsOf(
              IntStream.range(0, 20).mapToObj(ChatFaultInjectionTest::line).toList());
    }
  }
}
