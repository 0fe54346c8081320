package dev.authgate.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.authgate.client.chat.ChatClient;
import dev.authgate.client.chat.ReconnectingChat;
import dev.authgate.client.connect.Backoff;
import dev.authgate.client.connect.ServerAddress;
import dev.authgate.client.testing.Ear;
import dev.authgate.client.testing.Gate;
import dev.authgate.client.upload.FolderWatcher;
import dev.authgate.client.upload.UploadOutcome;
import dev.authgate.client.upload.WatchOptions;
import dev.authgate.protocol.keyfile.ClientKeys;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.keyfile.KeyFiles;
import dev.authgate.protocol.session.ChatMessage.Event;
import dev.authgate.server.connection.ServerConfig;
import dev.authgate.server.testing.TestServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One machine, two long-running clients sharing one credential file — a watched folder and a
 * reconnecting chat, as two processes would — whose key is rotated at every login while a gate cuts
 * their connections again and again: 100 rotations later nothing was lost, nobody was locked out,
 * and no honest login was taken for a copy.
 */
@Tag("system")
class RotationSoakTest {
  private static final int ROTATIONS = 100;
  private static final Duration WAIT = Duration.ofSeconds(120);
  private static final Backoff QUICK = new Backoff(Duration.ofMillis(20), Duration.ofMillis(200));

  @TempDir Path dir;
  private final List<AutoCloseable> open = new ArrayList<>();
  private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable closeable : open.reversed()) {
      closeable.close();
    }
    threads.shutdownNow();
  }

  /** What the watched folder reports. */
  static final class Watched implements FolderWatcher.Listener {
    final Set<String> stored = ConcurrentHashMap.newKeySet();
    final List<String> refused = new CopyOnWriteArrayList<>();

    @Override
    public void stored(Path file, UploadOutcome outcome, Path movedTo) {
      stored.add(outcome.name());
    }

    @Override
    public void refused(Path file, UploadOutcome outcome, Duration retryIn) {
      refused.add(outcome.name() + " " + outcome.reason());
    }

    @Override
    public void skipped(Path file, String why, Duration retryIn) {}

    @Override
    public void disconnected(Exception failure, Duration retryIn) {}
  }

  /** What the reconnecting chat reports. */
  static final class Said implements ReconnectingChat.Listener {
    final List<Long> sent = new CopyOnWriteArrayList<>();
    final List<Integer> reconnects = new CopyOnWriteArrayList<>();

    @Override
    public void onEvent(Event event) {}

    @Override
    public void onSent(long line, String text) {
      sent.add(line);
    }

    @Override
    public void onDisconnected(String why, Exception failure) {}

    @Override
    public void onReconnected(int attempts) {
      reconnects.add(attempts);
    }
  }

  @Test
  void aWatchedFolderAndAReconnectingChatSharingOneCredentialLoseNothingOver100Rotations()
      throws Exception {
    TestServer server =
        TestServer.start(dir.resolve("server"), ServerConfig.loopback(0, dir.resolve("uploads")));
    open.add(server);
    server.provision("machine");
    Path credential = server.credentialFile("machine");
    // The test policy: every login is due, so each new connection rotates (or follows a rotation
    // the other client made a moment ago).
    server.keystore().settings().setRotateEvery("machine", Duration.ofMillis(1));
    server.reloadKeys();
    Ear room = new Ear();
    ChatClient listener =
        AuthgateClient.of(
                new ServerAddress("127.0.0.1", server.port()), server.provision("listener"))
            .chat("lobby", ChatClient.KEEPALIVE, room);
    open.add(listener);
    await().atMost(WAIT).until(() -> !room.of(Event.Kind.JOINED).isEmpty());

    Gate gate = Gate.create();
    open.add(gate);
    gate.open(server.port());
    String address = "127.0.0.1:" + gate.port();

    // The watched folder: its own client object and credential file reader, as a process would.
    Path folder = Files.createDirectories(dir.resolve("outbox"));
    Path done = dir.resolve("sent");
    Path staging = Files.createDirectories(dir.resolve("staging"));
    Watched watched = new Watched();
    FolderWatcher watcher =
        new FolderWatcher(
            AuthgateClient.of(address, credential)
                .withTimeout(Duration.ofSeconds(10))
                .withBackoff(QUICK),
            WatchOptions.deleting(folder)
                .movingTo(done)
                .timing(Duration.ofMillis(100), Duration.ofMillis(50))
                .retrying(new Backoff(Duration.ofMillis(50), Duration.ofMillis(200))),
            watched);
    CompletableFuture<Void> watching = runAsync(watcher::run);

    // The reconnecting chat: another client object on the same file.
    Said said = new Said();
    ReconnectingChat chat =
        AuthgateClient.of(address, credential)
            .withTimeout(Duration.ofSeconds(10))
            .withBackoff(QUICK)
            .reconnectingChat("lobby", Duration.ofSeconds(10), 1000, said);
    open.add(chat);
    CompletableFuture<Void> chatting = runAsync(chat::run);

    AtomicBoolean producing = new AtomicBoolean(true);
    Map<String, byte[]> files = new ConcurrentHashMap<>();
    List<String> lines = new CopyOnWriteArrayList<>();
    CompletableFuture<Void> producers =
        CompletableFuture.allOf(
            runAsync(
                () -> {
                  for (int i = 1; producing.get(); i++) {
                    String text = "line " + i;
                    lines.add(text);
                    chat.say(text);
                    Thread.sleep(15);
                  }
                }),
            runAsync(
                () -> {
                  Random random = new Random(7);
                  for (int i = 1; producing.get(); i++) {
                    byte[] bytes = new byte[1 + random.nextInt(200_000)];
                    random.nextBytes(bytes);
                    String name = "file-" + i + ".bin";
                    files.put(name, bytes);
                    Path staged = Files.write(staging.resolve(name), bytes);
                    Files.move(staged, folder.resolve(name), StandardCopyOption.ATOMIC_MOVE);
                    Thread.sleep(60);
                  }
                }));

    // Cut both clients' connections each time the key has moved on, until it has 100 times.
    long end = System.nanoTime() + WAIT.toNanos();
    int rotations = 0;
    int cuts = 0;
    while (rotations < ROTATIONS && System.nanoTime() < end) {
      int seen = rotations;
      await()
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(25))
          .until(() -> server.events("keys.self_rotated").size() > seen);
      rotations = server.events("keys.self_rotated").size();
      gate.shut();
      gate.open(server.port());
      cuts++;
    }
    producing.set(false);
    producers.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    chat.finish();
    chatting.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    await().atMost(WAIT).until(() -> watched.stored.containsAll(files.keySet()) && isEmpty(folder));
    watcher.stop();
    watching.get(WAIT.toSeconds(), TimeUnit.SECONDS);

    assertThat(rotations).as("rotations in %d cuts", cuts).isGreaterThanOrEqualTo(ROTATIONS);
    assertThat(server.events("auth.clone-suspected"))
        .as("no honest login taken for a copy")
        .isEmpty();
    assertThat(server.events("auth.rejected"))
        .as("only handshakes the gate cut")
        .allSatisfy(
            e ->
                assertThat(e.path("reason").asText() + ": " + e.path("detail").asText())
                    .startsWith("malformed: connection "));
    ClientKeys keys =
        ClientKeys.parse(
            server.keystore().path().resolve(ClientKeys.fileName("machine")),
            KeyFiles.readPrivate(server.keystore().path().resolve(ClientKeys.fileName("machine"))));
    assertThat(keys.locked()).isNull();
    String current = Credential.load(credential).keyId();
    assertThat(keys.key(current)).as("the file holds a key the server takes").isPresent();
    assertThat(keys.key(current).orElseThrow().replaced()).isNull();

    // Every file, byte-identical, stored once and moved to done.
    assertThat(watched.refused).isEmpty();
    for (Map.Entry<String, byte[]> file : files.entrySet()) {
      assertThat(dir.resolve("uploads/machine/" + file.getKey()))
          .as(file.getKey())
          .hasBinaryContent(file.getValue());
      assertThat(done.resolve(file.getKey())).exists();
    }
    // Every line, confirmed in order, and heard by the room (at least once).
    assertThat(said.sent)
        .containsExactlyElementsOf(
            java.util.stream.LongStream.rangeClosed(1, lines.size()).boxed().toList());
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(new HashSet<>(room.messages()))
                    .containsAll(lines.stream().map(t -> "machine: " + t).toList()));
    assertThat(said.reconnects.size()).isGreaterThanOrEqualTo(cuts / 2);
  }

  private static boolean isEmpty(Path folder) throws IOException {
    try (Stream<Path> entries = Files.list(folder)) {
      return entries.findAny().isEmpty();
    }
  }

  interface Body {
    void run() throws Exception;
  }

  private CompletableFuture<Void> runAsync(Body body) {
    return CompletableFuture.runAsync(
        () -> {
          try {
            body.run();
          } catch (Exception e) {
            throw new java.util.concurrent.CompletionException(e);
          }
        },
        threads);
  }
}
