package dev.authgate.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.authgate.client.chat.ChatClient;
import dev.authgate.client.chat.ReconnectingChat;
import dev.authgate.client.connect.VerifiedConnection;
import dev.authgate.client.download.DownloadOutcome;
import dev.authgate.client.testing.Ear;
import dev.authgate.client.upload.FolderWatcher;
import dev.authgate.client.upload.UploadListener;
import dev.authgate.client.upload.UploadOutcome;
import dev.authgate.client.upload.Uploader;
import dev.authgate.client.upload.WatchOptions;
import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import dev.authgate.protocol.keyfile.KeyFileException;
import dev.authgate.protocol.session.ChatMessage.Event;
import dev.authgate.protocol.session.FileListing;
import dev.authgate.server.connection.ServerConfig;
import dev.authgate.server.connection.SessionLimits;
import dev.authgate.server.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embeddable client as docs/CLIENT.md shows it, against a real server. */
class AuthgateClientTest {
  @TempDir Path dir;
  private TestServer server;
  private AuthgateClient client;

  @BeforeEach
  void start() throws Exception {
    server = TestServer.start(dir.resolve("server"));
    server.provision("m1");
    client =
        AuthgateClient.of(server.hostPort(), server.credentialFile("m1"))
            .withTimeout(Duration.ofSeconds(30));
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
  }

  /** A server that lets each client hold one session, so a second connection hears "try later". */
  private TestServer oneSessionPerClient() throws Exception {
    server.close();
    server =
        TestServer.start(
            dir.resolve("capped"),
            ServerConfig.loopback(0, dir.resolve("uploads"))
                .withSessions(new SessionLimits(100, 1, Duration.ofSeconds(30))));
    server.provision("m1");
    client = AuthgateClient.of(server.hostPort(), server.credentialFile("m1"));
    return server;
  }

  @Test
  void aServerThatSaysTryLaterIsTriedAgainUntilItLetsTheClientIn() throws Exception {
    oneSessionPerClient();
    VerifiedConnection held = client.connect();
    Thread.ofVirtual()
        .start(
            () -> {
              // Room opens only once the retrying client has been turned away at least once.
              await().until(() -> !server.events("auth.rejected").isEmpty());
              try {
                held.close();
              } catch (java.io.IOException ignored) {
                // Closed either way.
              }
            });

    try (VerifiedConnection second = client.connect()) {
      assertThat(second.ping()).isPositive();
    }
    assertThat(server.events("auth.rejected"))
        .isNotEmpty()
        .allSatisfy(e -> assertThat(e.path("reason").asText()).isEqualTo("session-limit"));
  }

  @Test
  void theBusyRetryEndsWithTheRefusalAndZeroTriesOnce() throws Exception {
    oneSessionPerClient();
    try (VerifiedConnection held = client.connect()) {
      assertThatThrownBy(() -> client.withBusyRetry(Duration.ZERO).connect())
          .isInstanceOf(ProtocolException.class)
          .extracting(e -> ((ProtocolException) e).reason())
          .isEqualTo(Reason.OVERLOADED);
      // The refusal is audited as the client hears it, perhaps a moment after.
      await().untilAsserted(() -> assertThat(server.events("auth.rejected")).hasSize(1));

      assertThatThrownBy(() -> client.withBusyRetry(Duration.ofSeconds(1)).connect())
          .isInstanceOf(ProtocolException.class)
          .extracting(e -> ((ProtocolException) e).reason())
          .isEqualTo(Reason.OVERLOADED);
      await()
          .untilAsserted(
              () ->
                  assertThat(server.events("auth.rejected").size())
                      .as("tried more than once within the second")
                      .isGreaterThan(2));
      assertThat(held.ping()).isPositive();
    }
  }

  @Test
  void pingsAndUploadsOneFileOrSeveralOverOneSession() throws Exception {
    assertThat(client.ping()).isPositive();

    Path report = Files.writeString(dir.resolve("report.csv"), "a,b\n1,2\n");
    UploadOutcome outcome = client.upload(report);
    assertThat(outcome.stored()).isTrue();
    assertThat(client.upload(report).describe())
        .startsWith("refused report.csv: ")
        .endsWith("[exists]");

    List<Path> files =
        List.of(
            Files.writeString(dir.resolve("x.log"), "x"),
            Files.writeString(dir.resolve("y.log"), "y"));
    try (VerifiedConnection connection = client.connect()) {
      Uploader uploader = new Uploader(connection, UploadListener.silent());
      for (Path file : files) {
        assertThat(uploader.upload(file, file.getFileName().toString(), false, true).stored())
            .isTrue();
      }
    }
    // session.closed is written as each session ends, which may be just after the client returns.
    await().atMost(Duration.ofSeconds(60)).until(() -> server.events("session.closed").size() >= 4);
  }

  @Test
  void listsAndFetchesWhatIsPublished() throws Exception {
    Path published = Files.createDirectories(dir.resolve("server/published/m1"));
    Files.writeString(published.resolve("agent.conf"), "interval=60\n");
    Path etc = Files.createDirectories(dir.resolve("etc"));

    List<FileListing.Entry> listed = client.list();
    DownloadOutcome config = client.get("agent.conf", etc, true);
    DownloadOutcome again = client.get("agent.conf", etc, true);

    assertThat(listed).extracting(FileListing.Entry::name).containsExactly("agent.conf");
    assertThat(config.status()).isEqualTo(DownloadOutcome.Status.FETCHED);
    assertThat(etc.resolve("agent.conf")).hasContent("interval=60");
    assertThat(again.status()).isEqualTo(DownloadOutcome.Status.UNCHANGED);
  }

  @Test
  void chatsAndReconnectingChatsShareARoom() throws Exception {
    server.provision("m2");
    Ear ear = new Ear();
    ChatClient listener =
        AuthgateClient.of(server.hostPort(), server.credentialFile("m2"))
            .chat("ops", ChatClient.KEEPALIVE, ear);
    await().until(() -> !ear.of(Event.Kind.JOINED).isEmpty());

    ChatClient chat = client.chat("ops", ChatClient.KEEPALIVE, new Ear());
    chat.say("backup done");
    await().until(() -> ear.messages().contains("m1: backup done"));
    chat.close();

    List<Long> sent = new CopyOnWriteArrayList<>();
    ReconnectingChat reconnecting =
        client.reconnectingChat(
            "ops",
            Duration.ofSeconds(60),
            1000,
            new ReconnectingChat.Listener() {
              @Override
              public void onEvent(Event event) {}

              @Override
              public void onSent(long line, String text) {
                sent.add(line);
              }

              @Override
              public void onDisconnected(String why, Exception failure) {}

              @Override
              public void onReconnected(int attempts) {}
            });
    AtomicReference<Exception> failed = new AtomicReference<>();
    Thread runner =
        Thread.ofPlatform()
            .start(
                () -> {
                  try {
                    reconnecting.run();
                  } catch (Exception e) {
                    failed.set(e);
                  }
                });
    reconnecting.say("hello");
    reconnecting.finish();
    runner.join(60_000);
    assertThat(runner.isAlive()).isFalse();
    assertThat(failed.get()).isNull();
    assertThat(sent).containsExactly(1L);
    await().until(() -> ear.messages().contains("m1: hello"));
    listener.close();
  }

  @Test
  void connectRetryingStopsAtARefusedKey() throws Exception {
    server.revokeNow("m1");
    List<Integer> attempts = new CopyOnWriteArrayList<>();

    assertThatThrownBy(
            () -> client.connectRetrying((attempt, failure, wait) -> attempts.add(attempt)))
        .isInstanceOf(ProtocolException.class);
    assertThat(attempts).isEmpty();
  }

  @Test
  void aFolderWatcherRunsUntilStopped() throws Exception {
    Path folder = Files.createDirectories(dir.resolve("out"));
    Path done = dir.resolve("done");
    Files.writeString(folder.resolve("a.txt"), "a");
    List<String> stored = new CopyOnWriteArrayList<>();
    FolderWatcher watcher =
        new FolderWatcher(
            client,
            WatchOptions.deleting(folder)
                .movingTo(done)
                .timing(Duration.ofMillis(100), Duration.ofMillis(50)),
            new FolderWatcher.Listener() {
              @Override
              public void stored(Path file, UploadOutcome outcome, Path movedTo) {
                stored.add(outcome.name());
              }

              @Override
              public void refused(Path file, UploadOutcome outcome, Duration retryIn) {}

              @Override
              public void skipped(Path file, String why, Duration retryIn) {}

              @Override
              public void disconnected(Exception failure, Duration retryIn) {}
            });
    Thread runner =
        Thread.ofPlatform()
            .start(
                () -> {
                  try {
                    watcher.run();
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                });
    await().until(() -> stored.contains("a.txt"));
    watcher.stop();
    runner.join(30_000);
    assertThat(runner.isAlive()).isFalse();
    assertThat(done.resolve("a.txt")).hasContent("a");
  }

  @Test
  void aCredentialOthersMayReadIsRefusedWhenTheClientIsMade() throws Exception {
    Path key = server.credentialFile("m1");
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));

    assertThatThrownBy(() -> AuthgateClient.of(server.hostPort(), key))
        .isInstanceOf(KeyFileException.class)
        .hasMessageContaining("0644");
  }
}
