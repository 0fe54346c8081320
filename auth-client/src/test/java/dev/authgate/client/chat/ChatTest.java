package dev.authgate.client.chat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.authgate.client.connect.Connector;
import dev.authgate.client.connect.HostKeyTrust;
import dev.authgate.client.connect.ServerAddress;
import dev.authgate.client.testing.Ear;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.frame.FrameCodec;
import dev.authgate.protocol.handshake.ClientHandshake;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.session.ChatMessage;
import dev.authgate.protocol.session.ChatMessage.Event;
import dev.authgate.protocol.session.SecureChannel;
import dev.authgate.server.chat.ChatLimits;
import dev.authgate.server.connection.ServerConfig;
import dev.authgate.server.testing.TestServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real chat clients against a real server: who hears what, in which order, from whom. */
class ChatTest {
  @TempDir Path dir;
  TestServer server;
  final List<ChatClient> clients = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws IOException {
    server =
        TestServer.start(
            dir.resolve("server"),
            ServerConfig.loopback(0, dir.resolve("up")).withChat(new ChatLimits(3, 64)));
  }

  @AfterEach
  void stop() throws IOException {
    for (ChatClient client : clients) {
      client.close();
    }
    server.close();
  }

  private ChatClient member(Credential credential, Ear ear, String room) throws IOException {
    ChatClient chat =
        new ChatClient(
            new Connector(
                    credential.identity(),
                    HostKeyTrust.of(credential),
                    Duration.ofSeconds(10),
                    RandomSource.secure())
                .connect(new ServerAddress("127.0.0.1", server.port())));
    clients.add(chat);
    chat.start(ear);
    chat.join(room);
    return chat;
  }

  private void awaitJoins(String room, int members) {
    Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                server.events("chat.joined").stream()
                        .filter(e -> e.path("room").asText().equals(room))
                        .count()
                    >= members);
  }

  @Test
  void threeMembersEachHearEveryOtherMessageOnceInTheServersOrderWithAuthenticatedSenders()
      throws IOException {
    Credential a = server.provision("alpha");
    Credential b = server.provision("bravo");
    Credential c = server.provision("charlie");
    Ear ea = new Ear();
    Ear eb = new Ear();
    Ear ec = new Ear();
    ChatClient ca = member(a, ea, "lobby");
    ChatClient cb = member(b, eb, "lobby");
    ChatClient cc = member(c, ec, "lobby");
    awaitJoins("lobby", 3);

    for (int i = 0; i < 50; i++) {
      ca.say("a" + i);
      cb.say("b" + i);
      cc.say("c" + i);
    }

    Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                ea.messages().size() == 100
                    && eb.messages().size() == 100
                    && ec.messages().size() == 100);
    assertThat(ea.messages()).doesNotContain("alpha: a0").contains("bravo: b49", "charlie: c0");
    assertThat(ea.messages())
        .filteredOn(m -> m.startsWith("bravo"))
        .hasSize(50)
        .isEqualTo(java.util.stream.IntStream.range(0, 50).mapToObj(i -> "bravo: b" + i).toList());
    // One order for the whole room: the interleaving b and c messages appear in is the same for a.
    List<String> seenByA = ea.messages().stream().filter(m -> !m.startsWith("alpha")).toList();
    List<String> seenByB = eb.messages().stream().filter(m -> !m.startsWith("bravo")).toList();
    assertThat(seenByA.stream().filter(m -> m.startsWith("charlie")).toList())
        .isEqualTo(seenByB.stream().filter(m -> m.startsWith("charlie")).toList());
  }

  @Test
  void aMessageClaimingAnotherSenderCannotChangeFrom() throws IOException {
    Ear listener = new Ear();
    member(server.provision("watcher"), listener, "lobby");
    ChatClient mallory = member(server.provision("mallory"), new Ear(), "lobby");
    awaitJoins("lobby", 2);

    mallory.say("<admin> reboot now");
    mallory.say("{\"type\":\"message\",\"from\":\"admin\"}");

    Awaitility.await().until(() -> listener.messages().size() == 2);
    assertThat(listener.of(Event.Kind.MESSAGE))
        .allSatisfy(e -> assertThat(e.from()).isEqualTo("mallory"));
    assertThat(ChatFormat.json(listener.of(Event.Kind.MESSAGE).get(1)))
        .contains("\"from\":\"mallory\"")
        .contains("\"text\":\"{\\\"type\\\":\\\"message\\\",\\\"from\\\":\\\"admin\\\"}\"");
  }

  @Test
  void roomNamesThatAreDotsOrStartWithADotAreRefused() throws IOException {
    Ear ear = new Ear();
    ChatClient member = member(server.provision("explorer"), ear, "lobby");
    awaitJoins("lobby", 1);

    member.join("..");
    member.join(".hidden");

    Awaitility.await().until(() -> ear.of(Event.Kind.ERROR).size() == 2);
    assertThat(ear.of(Event.Kind.ERROR))
        .extracting(Event::text)
        .allMatch(t -> t.startsWith("invalid room name") && t.contains("not starting with '.'"));
  }

  @Test
  void anOversizedOrInvalidMessageGetsAClearErrorAndTheSessionStaysUsable() throws IOException {
    Ear listener = new Ear();
    member(server.provision("watcher"), listener, "lobby");
    Ear own = new Ear();
    ChatClient sender = member(server.provision("sender"), own, "lobby");
    awaitJoins("lobby", 2);

    sender.say("x".repeat(5000));
    sender.sayBytes(new byte[] {(byte) 0xc3, (byte) 0x28});
    sender.say("line\nbreak");
    sender.say("still here");

    Awaitility.await()
        .until(
            () ->
                own.of(Event.Kind.ERROR).size() == 3
                    && listener.messages().equals(List.of("sender: still here")));
    assertThat(own.of(Event.Kind.ERROR))
        .extracting(Event::text)
        .containsExactly(
            "message is 5000 bytes; at most 4096",
            "message is not valid UTF-8",
            "message contains control characters (only tab is allowed)");
  }

  @Test
  void aJoiningMemberGetsTheRecentHistoryAndTheOthersAJoinNotice() throws IOException {
    Ear early = new Ear();
    ChatClient speaker = member(server.provision("early"), early, "ops");
    awaitJoins("ops", 1);
    for (int i = 1; i <= 5; i++) {
      speaker.say("m" + i);
    }
    // The server answers one connection's requests in order: once WHO is answered, m1..m5 are in
    // the room's history.
    speaker.who();
    Awaitility.await().until(() -> early.of(Event.Kind.WHO).size() == 1);

    Ear late = new Ear();
    member(server.provision("late"), late, "ops");

    Awaitility.await().until(() -> late.of(Event.Kind.HISTORY).size() == 3);
    assertThat(late.of(Event.Kind.HISTORY))
        .extracting(Event::text)
        .containsExactly("m3", "m4", "m5");
    Awaitility.await().until(() -> early.of(Event.Kind.JOINED).size() == 2);
    // Each member's own join is acknowledged to it first; then it hears of the others.
    assertThat(early.of(Event.Kind.JOINED))
        .extracting(Event::from)
        .containsExactly("early", "late");
    assertThat(late.of(Event.Kind.JOINED)).extracting(Event::from).containsExactly("late");
  }

  @Test
  void theSameClientTwiceGetsEveryMessageOnBothConnectionsAndWhoListsBoth() throws IOException {
    Credential twin = server.provision("twin");
    Ear first = new Ear();
    Ear second = new Ear();
    ChatClient c1 = member(twin, first, "lobby");
    member(twin, second, "lobby");
    ChatClient other = member(server.provision("other"), new Ear(), "lobby");
    awaitJoins("lobby", 3);

    other.say("to both");
    c1.who();
    c1.rooms();

    Awaitility.await()
        .until(
            () ->
                first.messages().contains("other: to both")
                    && second.messages().contains("other: to both")
                    && !first.of(Event.Kind.WHO).isEmpty()
                    && !first.of(Event.Kind.ROOMS).isEmpty());
    assertThat(first.of(Event.Kind.WHO).get(0).text().split(","))
        .containsExactlyInAnyOrder("twin", "twin", "other");
    assertThat(first.of(Event.Kind.ROOMS).get(0).text()).isEqualTo("lobby:3");
  }

  @Test
  void aMemberThatStopsReadingIsDroppedWhileAThousandMessageExchangeLosesNothing()
      throws Exception {
    Credential a = server.provision("alpha");
    Credential b = server.provision("bravo");
    Credential stuck = server.provision("stuck");
    Ear ea = new Ear();
    Ear eb = new Ear();
    ChatClient ca = member(a, ea, "lobby");
    ChatClient cb = member(b, eb, "lobby");
    try (Socket silent = stalledMember(stuck)) {
      assertThat(silent.isConnected()).isTrue();
      awaitJoins("lobby", 3);
      String filler = "y".repeat(4000);
      for (int i = 0; i < 500; i++) {
        ca.say("a" + i + " " + filler);
        cb.say("b" + i + " " + filler);
      }

      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> ea.messages().size() == 500 && eb.messages().size() == 500);
      assertThat(ea.messages()).allMatch(m -> m.startsWith("bravo: b"));
      Awaitility.await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  server.events("chat.left").stream()
                      .anyMatch(e -> e.path("reason").asText().equals("slow-consumer")));
      assertThat(ea.of(Event.Kind.LEFT)).extracting(Event::from).contains("stuck");
      Awaitility.await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  server.events("session.closed").stream()
                      .anyMatch(e -> e.path("outcome").asText().equals("slow-consumer")));
    }
  }

  @Test
  void aLibraryMemberThatFellBehindIsToldWhyOnceItReadsAgain() throws Exception {
    Credential talker = server.provision("talker");
    Credential slow = server.provision("slowpoke");
    java.util.concurrent.CountDownLatch reading = new java.util.concurrent.CountDownLatch(1);
    List<Event> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.concurrent.CompletableFuture<String> ended =
        new java.util.concurrent.CompletableFuture<>();
    ChatClient.Listener stalled =
        new ChatClient.Listener() {
          @Override
          public void onEvent(Event event) {
            heard.add(event);
            if (event.kind() == Event.Kind.MESSAGE) {
              try {
                reading.await(); // its program stopped reading (a paused pipe, a stuck consumer)
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
          }

          @Override
          public void onEnd(String reason, Exception failure) {
            ended.complete(reason);
          }
        };
    ChatClient member =
        new ChatClient(
            new Connector(
                    slow.identity(),
                    HostKeyTrust.of(slow),
                    Duration.ofSeconds(60),
                    RandomSource.secure())
                .connect(new ServerAddress("127.0.0.1", server.port())));
    clients.add(member);
    member.start(stalled);
    member.join("lobby");
    ChatClient sender = member(talker, new Ear(), "lobby");
    awaitJoins("lobby", 2);
    String filler = "z".repeat(4000);
    for (int i = 0; i < 20_000; i++) {
      sender.say("m" + i + " " + filler);
      if (i % 500 == 499 && droppedAsSlow("slowpoke")) {
        break;
      }
    }
    Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> droppedAsSlow("slowpoke"));

    // It reads again within the grace the server gives a dropped member to read its way to the
    // end (one that stays stuck longer finds the connection cut, mid-frame if a write was blocked).
    reading.countDown();

    assertThat(ended.get(60, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("too slow");
    assertThat(heard)
        .filteredOn(e -> e.kind() == Event.Kind.NOTICE)
        .extracting(Event::text)
        .anyMatch(t -> t.startsWith("dropped from chat: ") && t.endsWith("(you stopped reading)"));
  }

  /** Whether the server dropped {@code clientId} from its room for falling behind. */
  private boolean droppedAsSlow(String clientId) {
    return server.events("chat.left").stream()
        .anyMatch(
            e ->
                e.path("client_id").asText().equals(clientId)
                    && e.path("reason").asText().equals("slow-consumer"));
  }

  /** A verified chat member with a tiny receive window that never reads. */
  private Socket stalledMember(Credential credential) throws IOException {
    Socket socket = new Socket();
    socket.setReceiveBufferSize(4096);
    socket.connect(new InetSocketAddress("127.0.0.1", server.port()));
    var raw =
        new ClientHandshake(
            credential.identity(), HostKeyTrust.of(credential), RandomSource.secure());
    var in = socket.getInputStream();
    socket
        .getOutputStream()
        .write(raw.onHello(FrameCodec.read(in, FrameCodec.PRE_AUTH_MAX_PAYLOAD)));
    var established = raw.onWelcome(FrameCodec.read(in, FrameCodec.PRE_AUTH_MAX_PAYLOAD));
    SecureChannel.client(in, socket.getOutputStream(), established.keys())
        .send(new ChatMessage.Join("lobby"));
    return socket;
  }
}
