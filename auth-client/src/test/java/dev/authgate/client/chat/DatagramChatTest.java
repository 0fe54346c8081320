package dev.authgate.client.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.authgate.client.connect.Connector;
import dev.authgate.client.connect.HostKeyTrust;
import dev.authgate.client.connect.ServerAddress;
import dev.authgate.client.connect.VerifiedConnection;
import dev.authgate.client.datagram.DatagramSender;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.session.ChatMessage.Event;
import dev.authgate.server.connection.DatagramLimits;
import dev.authgate.server.connection.ServerConfig;
import dev.authgate.server.testing.TestServer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chat over verified datagrams (PROTOCOL.md §11) with real clients and a real server: lines go as
 * datagrams, the room's events come back as datagrams paid for with credit, and UDP and TCP members
 * share a room.
 */
class DatagramChatTest {
  @TempDir Path dir;
  TestServer server;
  final List<ChatClient> clients = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws IOException {
    server =
        TestServer.start(
            dir.resolve("server"),
            ServerConfig.loopback(0, dir.resolve("up"))
                .withDatagrams(new DatagramLimits(DatagramLimits.SAME_AS_TCP, 10, 2000)));
  }

  @AfterEach
  void stop() throws IOException {
    for (ChatClient client : clients) {
      client.close();
    }
    server.close();
  }

  /** What one member heard: message texts by sender, in order, and gaps. */
  private static final class Ear implements ChatClient.Listener {
    final List<String> messages = new CopyOnWriteArrayList<>();
    final List<String> joined = new CopyOnWriteArrayList<>();
    final AtomicLong gaps = new AtomicLong();

    @Override
    public void onEvent(Event event) {
      if (event.kind() == Event.Kind.MESSAGE) {
        messages.add(event.from() + ":" + event.text());
      } else if (event.kind() == Event.Kind.JOINED) {
        joined.add(event.from());
      }
    }

    @Override
    public void onEnd(String reason, Exception failure) {}

    @Override
    public void onGap(long missed) {
      gaps.addAndGet(missed);
    }
  }

  private ChatClient member(Credential credential, Ear ear, boolean udp) throws IOException {
    VerifiedConnection connection =
        new Connector(
                credential.identity(),
                HostKeyTrust.of(credential),
                Duration.ofSeconds(10),
                RandomSource.secure())
            .connect(new ServerAddress("127.0.0.1", server.port()));
    ChatClient chat = new ChatClient(connection);
    if (udp) {
      chat.useDatagrams(DatagramSender.open(connection, true));
    }
    clients.add(chat);
    chat.start(ear);
    chat.join("lobby");
    return chat;
  }

  private static List<String> numbered(String who, int count) {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      lines.add(who + ":line " + i);
    }
    return lines;
  }

  @Test
  void twoMembersOverDatagramsExchangeAThousandLinesEachNoneLostRepeatedOrReordered()
      throws Exception {
    Ear aliceHears = new Ear();
    Ear bobHears = new Ear();
    ChatClient alice = member(server.provision("alice"), aliceHears, true);
    ChatClient bob = member(server.provision("bob"), bobHears, true);
    await().until(() -> aliceHears.joined.contains("bob"));

    Thread aliceTalks =
        Thread.ofVirtual()
            .start(
                () -> {
                  try {
                    for (int i = 0; i < 1000; i++) {
                      alice.say("line " + i);
                    }
                  } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                  }
                });
    for (int i = 0; i < 1000; i++) {
      bob.say("line " + i);
    }
    aliceTalks.join();

    await()
        .atMost(Duration.ofSeconds(60))
        .failFast("a member lost lines", () -> aliceHears.gaps.get() + bobHears.gaps.get() > 0)
        .until(() -> aliceHears.messages.size() >= 1000 && bobHears.messages.size() >= 1000);
    assertThat(bobHears.messages).containsExactlyElementsOf(numbered("alice", 1000));
    assertThat(aliceHears.messages).containsExactlyElementsOf(numbered("bob", 1000));
    assertThat(aliceHears.gaps.get() + bobHears.gaps.get()).isZero();
  }

  @Test
  void udpAndTcpMembersShareARoomAndTheServerNeverSendsMoreThanItReceived() throws Exception {
    Ear udpHears = new Ear();
    Ear tcpHears = new Ear();
    ChatClient udp = member(server.provision("udp-member"), udpHears, true);
    ChatClient tcp = member(server.provision("tcp-member"), tcpHears, false);
    await().until(() -> udpHears.joined.contains("tcp-member"));

    for (int i = 0; i < 300; i++) {
      tcp.say("over tcp " + i);
      udp.say("over udp " + i);
    }

    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> udpHears.messages.size() >= 300 && tcpHears.messages.size() >= 300);
    assertThat(udpHears.messages).hasSize(300).allMatch(m -> m.startsWith("tcp-member:"));
    assertThat(tcpHears.messages).hasSize(300).allMatch(m -> m.startsWith("udp-member:"));
    udp.close();
    JsonNode closed =
        server.awaitEvent(
            "datagram.closed", e -> e.path("client_id").asText().equals("udp-member"));
    assertThat(closed.path("sent").asLong()).isGreaterThanOrEqualTo(300);
    assertThat(closed.path("bytes_sent").asLong())
        .isLessThanOrEqualTo(closed.path("bytes_received").asLong());
  }
}
