package dev.authgate.client.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.authgate.client.AuthgateClient;
import dev.authgate.client.connect.Backoff;
import dev.authgate.client.connect.ServerAddress;
import dev.authgate.client.testing.Ear;
import dev.authgate.client.testing.Gate;
import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.session.ChatMessage.Event;
import dev.authgate.server.testing.FaultProxy;
import dev.authgate.server.testing.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reconnecting chat across a server restart and a cut network: every line it reports as sent was
 * taken by the server, every line said is sent in the end, and a refused key ends it at once.
 */
class ReconnectingChatTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Backoff QUICK = new Backoff(Duration.ofMillis(20), Duration.ofMillis(200));

  private static final java.util.concurrent.Executor THREADS =
      java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();

  @TempDir Path dir;
  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable closeable : open.reversed()) {
      closeable.close();
    }
  }

  /** Everything a reconnecting chat reports. */
  static final class Record implements ReconnectingChat.Listener {
    final List<Long> sent = new CopyOnWriteArrayList<>();
    final List<String> sentText = new CopyOnWriteArrayList<>();
    final List<Event> events = new CopyOnWriteArrayList<>();
    final List<String> disconnects = new CopyOnWriteArrayList<>();
    final List<Integer> reconnects = new CopyOnWriteArrayList<>();
    final List<String> retries = new CopyOnWriteArrayList<>();

    @Override
    public void onRetrying(int attempt, Exception failure, java.time.Duration delay) {
      retries.add(attempt + ": " + failure.getMessage());
    }

    @Override
    public void onEvent(Event event) {
      events.add(event);
    }

    @Override
    public void onSent(long line, String text) {
      sent.add(line);
      sentText.add(text);
    }

    @Override
    public void onDisconnected(String why, Exception failure) {
      disconnects.add(why);
    }

    @Override
    public void onReconnected(int attempts) {
      reconnects.add(attempts);
    }
  }

  private TestServer server() throws Exception {
    TestServer server = TestServer.start(dir.resolve("server"));
    open.add(server);
    return server;
  }

  private Ear observer(TestServer server, Credential credential) throws Exception {
    Ear ear = new Ear();
    ChatClient chat =
        AuthgateClient.of(new ServerAddress("127.0.0.1", server.port()), credential)
            .chat("lobby", ChatClient.KEEPALIVE, ear);
    open.add(chat);
    await().atMost(WAIT).until(() -> !ear.of(Event.Kind.JOINED).isEmpty());
    return ear;
  }

  private CompletableFuture<Void> run(ReconnectingChat chat) {
    open.add(chat);
    // Threads of their own: the common pool may have one thread on a two-core machine.
    return CompletableFuture.runAsync(
        () -> {
          try {
            chat.run();
          } catch (Exception e) {
            throw new java.util.concurrent.CompletionException(e);
          }
        },
        THREADS);
  }

  @Test
  void aChatThatCannotGetInSaysEachAttempt_andLeavesOnceItsInputEndedWithNothingToSend()
      throws Exception {
    Credential credential = new Credential("nobody", "k1", new byte[32], List.of());
    java.net.ServerSocket closed = new java.net.ServerSocket(0);
    int port = closed.getLocalPort();
    closed.close(); // nobody listens there now
    Record heard = new Record();
    ReconnectingChat chat =
        AuthgateClient.of(new ServerAddress("127.0.0.1", port), credential)
            .reconnectingChat("lobby", ChatClient.KEEPALIVE, 10, heard);
    CompletableFuture<Void> running = run(chat);
    await().atMost(WAIT).until(() -> heard.retries.size() >= 2);
    assertThat(heard.retries.get(0)).startsWith("1: ").contains("127.0.0.1:" + port);
    assertThat(running).isNotDone();

    chat.finish();

    running.get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
    assertThat(heard.reconnects).isEmpty();
  }

  @Test
  void aServerThatFallsSilentIsLeftAfterThreeUnansweredKeepalives() throws Exception {
    TestServer server = server();
    Credential sender = server.provision("sensor-1");
    // Past AUTH and JOIN nothing more reaches the server for a minute: no PONG, no word at all.
    FaultProxy proxy = FaultProxy.stalling(server.port(), 279 + 40, 60_000);
    open.add(proxy);
    Record record = new Record();
    ReconnectingChat chat =
        AuthgateClient.of(new ServerAddress("127.0.0.1", proxy.port()), sender)
            .withBackoff(QUICK)
            .reconnectingChat("lobby", Duration.ofSeconds(1), 1000, record);
    long started = System.nanoTime();
    run(chat);

    await().atMost(WAIT).until(() -> !record.disconnects.isEmpty());
    assertThat(proxy.awaitInjected(1)).isTrue();
    assertThat((System.nanoTime() - started) / 1_000_000).isGreaterThanOrEqualTo(2_500);
    assertThat(record.disconnects.getFirst())
        .isEqualTo("the server went silent: no answer to 3 keepalives");
  }

  @Test
  void aServerRestartMidConversationLosesNoLineReportedAsSent() throws Exception {
    TestServer first = server();
    Credential sender = first.provision("sensor-1");
    Credential listener = first.provision("listener");
    Ear before = observer(first, listener);
    Gate gate = Gate.create();
    open.add(gate);
    gate.open(first.port());
    Record record = new Record();
    ReconnectingChat chat =
        AuthgateClient.of(new ServerAddress("127.0.0.1", gate.port()), sender)
            .withBackoff(QUICK)
            .reconnectingChat("lobby", Duration.ofSeconds(10), 1000, record);
    CompletableFuture<Void> running = run(chat);

    for (int i = 1; i <= 50; i++) {
      chat.say("line " + i);
    }
    await().atMost(WAIT).until(() -> record.sent.size() >= 10);
    gate.shut();
    first.close();
    for (int i = 51; i <= 100; i++) {
      chat.say("line " + i);
    }
    await().atMost(WAIT).until(() -> !record.disconnects.isEmpty());
    TestServer second = server();
    Ear after = observer(second, listener);
    gate.open(second.port());
    chat.finish();
    running.get(60, java.util.concurrent.TimeUnit.SECONDS);

    assertThat(record.sent)
        .as("every line reported sent once, in order")
        .containsExactlyElementsOf(LongStream.rangeClosed(1, 100).boxed().toList());
    // A PONG confirms the server took the lines into the room; reaching a member's socket follows.
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              List<String> heard = new ArrayList<>(before.messages());
              heard.addAll(after.messages());
              assertThat(heard)
                  .as("each line reported sent reached the room")
                  .containsAll(record.sentText.stream().map(t -> "sensor-1: " + t).toList());
            });
    assertThat(record.disconnects).hasSize(1);
    assertThat(record.reconnects).hasSize(1);
    assertThat(chat.pending()).isZero();
  }

  @Test
  void linesSaidWhileTheNetworkIsDownWaitInTheBufferAndGoOutAfterReconnecting() throws Exception {
    TestServer server = server();
    Credential sender = server.provision("sensor-1");
    Ear ear = observer(server, server.provision("listener"));
    Gate gate = Gate.create();
    open.add(gate);
    gate.open(server.port());
    Record record = new Record();
    ReconnectingChat chat =
        AuthgateClient.of(new ServerAddress("127.0.0.1", gate.port()), sender)
            .withBackoff(QUICK)
            .reconnectingChat("lobby", Duration.ofSeconds(10), 5, record);
    CompletableFuture<Void> running = run(chat);
    chat.say("before");
    await().atMost(WAIT).until(() -> record.sent.size() == 1);

    gate.shut();
    await().atMost(WAIT).until(() -> !record.disconnects.isEmpty());
    for (int i = 1; i <= 5; i++) {
      chat.say("offline " + i);
    }
    java.util.concurrent.atomic.AtomicReference<Thread> producer =
        new java.util.concurrent.atomic.AtomicReference<>();
    CompletableFuture<Long> sixth =
        CompletableFuture.supplyAsync(
            () -> {
              producer.set(Thread.currentThread());
              try {
                return chat.say("blocked until there is room");
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
            },
            THREADS);
    // Not a sleep: wait until the producer is parked inside say(), then it must still be there.
    await()
        .atMost(WAIT)
        .until(
            () ->
                producer.get() != null
                    && (producer.get().getState() == Thread.State.WAITING
                        || producer.get().getState() == Thread.State.TIMED_WAITING));
    assertThat(sixth).as("a full buffer holds the producer, dropping nothing").isNotDone();
    assertThat(chat.pending()).isEqualTo(5);

    gate.open(server.port());
    assertThat(sixth.get(60, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(7);
    chat.finish();
    running.get(60, java.util.concurrent.TimeUnit.SECONDS);
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(ear.messages())
                    .contains(
                        "sensor-1: before",
                        "sensor-1: offline 1",
                        "sensor-1: offline 5",
                        "sensor-1: blocked until there is room"));
    assertThat(record.sent).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L);
  }

  @Test
  void aRevokedKeyEndsTheChatWithoutRetrying() throws Exception {
    TestServer server = server();
    Credential sender = server.provision("sensor-1");
    Record record = new Record();
    ReconnectingChat chat =
        AuthgateClient.of(new ServerAddress("127.0.0.1", server.port()), sender)
            .withBackoff(QUICK)
            .reconnectingChat("lobby", Duration.ofSeconds(10), 10, record);
    CompletableFuture<Void> running = run(chat);
    chat.say("hello");
    await().atMost(WAIT).until(() -> record.sent.size() == 1);

    server.revokeNow("sensor-1");
    server.server().revalidateSessions();

    assertThatThrownBy(() -> running.get(60, java.util.concurrent.TimeUnit.SECONDS))
        .hasCauseInstanceOf(ProtocolException.class)
        .cause()
        .satisfies(e -> assertThat(((ProtocolException) e).reason()).isEqualTo(Reason.REVOKED_KEY));
    assertThat(record.reconnects).isEmpty();
    assertThat(server.events("auth.rejected")).isEmpty();
  }

  @Test
  void aKeyRefusedAtConnectIsNotRetried() throws Exception {
    TestServer server = server();
    Credential sender = server.provision("sensor-1");
    server.revokeNow("sensor-1");
    ReconnectingChat chat =
        AuthgateClient.of(new ServerAddress("127.0.0.1", server.port()), sender)
            .withBackoff(QUICK)
            .reconnectingChat("lobby", Duration.ofSeconds(10), 10, new Record());
    CompletableFuture<Void> running = run(chat);

    assertThatThrownBy(() -> running.get(60, java.util.concurrent.TimeUnit.SECONDS))
        .hasCauseInstanceOf(ProtocolException.class);
    server.awaitEvent("auth.rejected");
    // Not a sleep: run() has returned, so any retry was made before it; stopping the server waits
    // for every connection it accepted and its audit line.
    server.close();
    assertThat(server.events("auth.rejected")).as("one attempt, no retry").hasSize(1);
  }

  @Test
  void aLineTheServerWouldRefuseIsRefusedAtOnceAndNotBuffered() throws Exception {
    TestServer server = server();
    ReconnectingChat chat =
        AuthgateClient.of(
                new ServerAddress("127.0.0.1", server.port()), server.provision("sensor-1"))
            .reconnectingChat("lobby", Duration.ofSeconds(10), 10, new Record());
    open.add(chat);

    assertThatThrownBy(() -> chat.say("bell \u0007")).hasMessageContaining("control characters");
    assertThatThrownBy(() -> chat.say("x".repeat(4097))).hasMessageContaining("at most 4096");
    assertThat(chat.pending()).isZero();
  }
}
