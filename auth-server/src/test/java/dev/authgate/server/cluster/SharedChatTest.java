package dev.authgate.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.session.ChatMessage;
import dev.authgate.protocol.session.ChatMessage.Event;
import dev.authgate.protocol.session.SecureChannel;
import dev.authgate.protocol.session.SessionMessage;
import dev.authgate.server.connection.ServerConfig;
import dev.authgate.server.testing.RawClient;
import dev.authgate.server.testing.RedisProcess;
import dev.authgate.server.testing.TestServer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Chat rooms spanning two servers that share a real redis-server. */
@Tag("system")
class SharedChatTest {
  @TempDir Path dir;
  private RedisProcess redis;
  private TestServer a;
  private TestServer b;
  private final List<Member> members = new ArrayList<>();
  private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

  @AfterEach
  void stop() throws Exception {
    for (Member m : members) {
      m.client.close();
    }
    threads.shutdownNow();
    for (AutoCloseable c : new AutoCloseable[] {a, b, redis}) {
      if (c != null) {
        c.close();
      }
    }
  }

  private TestServer server(String name) throws IOException {
    ServerConfig config =
        ServerConfig.loopback(0, dir.resolve(name).resolve("uploads")).withServerId(name);
    return TestServer.clustered(dir.resolve(name), dir.resolve("keys"), config, redis.target());
  }

  private void twoServers() throws IOException {
    redis = RedisProcess.start(dir.resolve("redis"));
    a = server("a");
    b = server("b");
    await().atMost(Duration.ofSeconds(20)).until(() -> a.cluster().connected());
    await().atMost(Duration.ofSeconds(20)).until(() -> b.cluster().connected());
  }

  /** A verified chat member in {@code room} on {@code server}, its own JOINED read. */
  private Member join(TestServer server, Credential who, String room) throws IOException {
    RawClient client = RawClient.connect(server.port());
    SecureChannel channel = client.handshake(who.identity());
    Member member =
        new Member(
            client, channel, new ArrayList<>(), new java.util.concurrent.atomic.AtomicInteger());
    members.add(member);
    channel.send(new ChatMessage.Join(room));
    while (true) {
      Event event = member.next();
      if (event.kind() == Event.Kind.JOINED && event.from().equals(who.identity().clientId())) {
        return member;
      }
    }
  }

  private record Member(
      RawClient client,
      SecureChannel channel,
      List<Event> history,
      java.util.concurrent.atomic.AtomicInteger progress) {
    Event next() throws IOException {
      while (true) {
        SessionMessage message = channel.receive();
        if (message instanceof Event event) {
          if (event.kind() == Event.Kind.HISTORY) {
            history.add(event);
            continue;
          }
          return event;
        }
      }
    }

    /** The texts of the next {@code count} messages from {@code from}, skipping other events. */
    List<String> messagesFrom(String from, int count) throws IOException {
      List<String> texts = new ArrayList<>();
      while (texts.size() < count) {
        Event event = next();
        if (event.kind() == Event.Kind.MESSAGE && event.from().equals(from)) {
          texts.add(event.text());
          progress.incrementAndGet();
        }
      }
      return texts;
    }

    void say(String text) throws IOException {
      channel.send(ChatMessage.Say.of(text));
    }
  }

  private static List<String> numbered(String prefix, int count) {
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      texts.add(prefix + " " + i);
    }
    return texts;
  }

  @Test
  void membersOnTwoServersExchangeAThousandMessagesEachWithNoneLostAndEachSendersOrderKept()
      throws Exception {
    twoServers();
    Credential alpha = a.provision("alpha");
    Credential beta = a.provision("beta");
    b.reloadKeys();
    Member onA = join(a, alpha, "lobby");
    Member onB = join(b, beta, "lobby");
    Event joined = onA.next();
    assertThat(joined.kind()).isEqualTo(Event.Kind.JOINED);
    assertThat(joined.from()).isEqualTo("beta");

    List<String> fromAlpha = numbered("alpha says", 1000);
    List<String> fromBeta = numbered("beta says", 1000);
    // Both talk at once, in rounds of 100 each: a round is said only once the last one was heard,
    // so a reader the busy machine starves is never so far behind that the room drops it (that
    // is the slow-consumer rule, tested on its own), and what is tested stays what crosses Redis.
    List<String> heardOnB = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<String> heardOnA = new java.util.concurrent.CopyOnWriteArrayList<>();
    Future<?> readingB = threads.submit(() -> heardOnB.addAll(onB.messagesFrom("alpha", 1000)));
    Future<?> readingA = threads.submit(() -> heardOnA.addAll(onA.messagesFrom("beta", 1000)));
    for (int round = 0; round < 10; round++) {
      List<String> alphaRound = fromAlpha.subList(round * 100, round * 100 + 100);
      List<String> betaRound = fromBeta.subList(round * 100, round * 100 + 100);
      Future<?> alphaSays =
          threads.submit(
              () -> {
                for (String text : alphaRound) {
                  onA.say(text);
                }
                return null;
              });
      for (String text : betaRound) {
        onB.say(text);
      }
      alphaSays.get();
      int heard = round * 100 + 100;
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> onA.progress().get() >= heard && onB.progress().get() >= heard);
    }
    readingA.get();
    readingB.get();

    assertThat(heardOnB).containsExactlyElementsOf(fromAlpha);
    assertThat(heardOnA).containsExactlyElementsOf(fromBeta);
  }

  @Test
  void aRoomsFirstMemberOnAnotherServerGetsTheHistorySaidElsewhere() throws Exception {
    twoServers();
    Credential alpha = a.provision("alpha");
    Credential beta = a.provision("beta");
    b.reloadKeys();
    Member onA = join(a, alpha, "ops");
    onA.say("first");
    onA.say("second");
    onA.say("third");
    // Said by the time A answers WHO on the same connection (one connection is served in order).
    who(onA);
    Member second = join(a, beta, "ops");
    assertThat(second.history())
        .extracting(Event::text)
        .containsExactly("first", "second", "third");

    Member onB = join(b, beta, "ops");

    assertThat(onB.history()).extracting(Event::text).containsExactly("first", "second", "third");
    assertThat(onB.history()).extracting(Event::from).containsOnly("alpha");
  }

  @Test
  void withRedisKilledMembersOnOneServerStillChatAndItsReturnJoinsTheServersAgain()
      throws Exception {
    twoServers();
    Credential alpha = a.provision("alpha");
    Credential beta = a.provision("beta");
    b.reloadKeys();
    Member alphaOnA = join(a, alpha, "lobby");
    Member betaOnA = join(a, beta, "lobby");
    Member betaOnB = join(b, beta, "lobby");

    redis.kill();
    a.awaitEvent("cluster.degraded");
    alphaOnA.say("still here");
    assertThat(betaOnA.messagesFrom("alpha", 1)).containsExactly("still here");

    redis.startAgain();
    await().atMost(Duration.ofSeconds(30)).until(() -> a.cluster().connected());
    await().atMost(Duration.ofSeconds(30)).until(() -> b.cluster().connected());
    alphaOnA.say("back together");
    assertThat(betaOnB.messagesFrom("alpha", 1)).containsExactly("back together");
  }

  /** The ROOMS answer {@code member} gets. */
  private static String rooms(Member member) throws IOException {
    member.channel().send(new ChatMessage.Rooms());
    while (true) {
      Event event = member.next();
      if (event.kind() == Event.Kind.ROOMS) {
        return event.text();
      }
    }
  }

  /** The WHO answer in {@code member}'s room, sorted. */
  private static List<String> who(Member member) throws IOException {
    member.channel().send(new ChatMessage.Who());
    while (true) {
      Event event = member.next();
      if (event.kind() == Event.Kind.WHO) {
        return java.util.Arrays.stream(event.text().split(",")).sorted().toList();
      }
    }
  }

  @Test
  void whoAndRoomsCountMembersOnEveryServerUntilTheirServerStops() throws Exception {
    twoServers();
    Credential alpha = a.provision("alpha");
    Credential beta = a.provision("beta");
    b.reloadKeys();
    Member onA = join(a, alpha, "lobby");
    join(b, beta, "lobby");
    join(b, beta, "ops");

    await().atMost(Duration.ofSeconds(20)).until(() -> who(onA).equals(List.of("alpha", "beta")));
    // b's join of ops reaches A by the bus, maybe after lobby's: wait for it rather than race it.
    await().atMost(Duration.ofSeconds(20)).until(() -> rooms(onA).equals("lobby:2,ops:1"));

    b.close();
    b = null;
    await().atMost(Duration.ofSeconds(20)).until(() -> who(onA).equals(List.of("alpha")));
  }
}
