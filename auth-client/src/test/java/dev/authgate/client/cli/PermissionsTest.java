package dev.authgate.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.authgate.client.AuthgateClient;
import dev.authgate.client.chat.ChatClient;
import dev.authgate.client.connect.Connector;
import dev.authgate.client.connect.HostKeyTrust;
import dev.authgate.client.connect.ServerAddress;
import dev.authgate.client.connect.VerifiedConnection;
import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.keyfile.Permissions;
import dev.authgate.protocol.keyfile.Permissions.SessionKind;
import dev.authgate.protocol.session.ChatMessage;
import dev.authgate.protocol.session.ChatMessage.Event;
import dev.authgate.protocol.session.DatagramControl;
import dev.authgate.protocol.session.SessionMessage;
import dev.authgate.protocol.session.UploadBegin;
import dev.authgate.protocol.session.UploadResult;
import dev.authgate.server.testing.TestServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-client permissions ({@code keys set}) as a machine meets them: the real client against a real
 * server whose keystore entry limits it. Each refusal has its own reason, in the audit log and in
 * the client's exit code.
 */
class PermissionsTest {
  private static final long MIB = 1 << 20;

  @TempDir Path dir;
  TestServer server;
  Path key;

  @BeforeEach
  void start() throws IOException {
    server = TestServer.start(dir.resolve("server"));
    server.provision("sensor-1");
    key = server.credentialFile("sensor-1");
  }

  @AfterEach
  void stop() throws IOException {
    server.close();
  }

  private void limit(java.util.function.UnaryOperator<Permissions> change) throws IOException {
    server.keystore().settings().setPermissions("sensor-1", change);
    server.reloadKeys();
  }

  private CliRun client(String stdin, String command, String... extra) {
    List<String> args =
        new java.util.ArrayList<>(
            List.of(command, "--server", server.hostPort(), "--key", key.toString()));
    args.addAll(List.of(extra));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit =
        AuthClientCommand.run(
            args.toArray(String[]::new),
            new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new CliRun(
        exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private Path file(String name, long size) throws IOException {
    Path file = dir.resolve(name);
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.setLength(size);
    }
    return file;
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "reconnecting: {0}")
  @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
  void aChatWhoseKeyIsRevokedExitsThreeWithOneLine(boolean reconnecting) throws Exception {
    PipedOutputStream typing = new PipedOutputStream();
    PipedInputStream stdin = new PipedInputStream(typing);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    CompletableFuture<Integer> exit =
        CompletableFuture.supplyAsync(
            () ->
                AuthClientCommand.run(
                    reconnecting
                        ? new String[] {
                          "chat",
                          "--server",
                          server.hostPort(),
                          "--key",
                          key.toString(),
                          "--json",
                          "--reconnect"
                        }
                        : new String[] {
                          "chat", "--server", server.hostPort(), "--key", key.toString(), "--json"
                        },
                    stdin,
                    new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8)));
    server.awaitEvent("chat.joined");

    server.revokeNow("sensor-1");
    server.server().revalidateSessions();

    assertThat(exit.get(60, TimeUnit.SECONDS)).isEqualTo(3);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .isEqualTo("auth-client: the server ended the session: this client's key was revoked\n");
    typing.close();
  }

  @Test
  void aClientLimitedToRoomOpsCannotJoinDev_andTheRefusalIsAudited() throws IOException {
    limit(p -> p.withRooms(List.of("ops", "sensors-*")));

    CliRun dev = client("hello dev\n", "chat", "--room", "dev", "--json");
    assertThat(dev.exit()).isEqualTo(5);
    assertThat(dev.err())
        .isEqualTo(
            "auth-client: the server refused: room 'dev' is not permitted for this client;"
                + " allowed: ops, sensors-*\n");
    assertThat(dev.out())
        .contains(
            "\"type\":\"error\",\"room\":\"\",\"from\":\"\",\"text\":\"room 'dev' is not"
                + " permitted for this client; allowed: ops, sensors-*\"");
    assertThat(server.awaitEvent("chat.refused").path("reason").asText())
        .isEqualTo("room-not-permitted");
    assertThat(server.events("chat.refused").getFirst().path("room").asText()).isEqualTo("dev");
    assertThat(server.events("chat.joined")).isEmpty();

    // The same in line mode, with input that ends before the server answers the join.
    CliRun lines = client("", "chat", "--room", "dev");
    assertThat(lines.exit()).as(lines.out() + lines.err()).isEqualTo(5);
    assertThat(lines.err())
        .isEqualTo(
            "auth-client: the server refused: room 'dev' is not permitted for this client;"
                + " allowed: ops, sensors-*\n");

    CliRun ops = client("hello ops\n", "chat", "--room", "sensors-east", "--json");
    assertThat(ops.exit()).isZero();
    assertThat(ops.out()).contains("\"type\":\"joined\",\"room\":\"sensors-east\"");
  }

  @Test
  void aClientWithATenMebibyteQuotaCannotStoreAnElevenMebibyteFileEvenInOneUpload()
      throws IOException {
    limit(p -> p.withQuota(10 * MIB));

    CliRun refused = client("", "upload", file("big.bin", 11 * MIB).toString());

    assertThat(refused.exit()).isEqualTo(5);
    assertThat(refused.out())
        .isEqualTo(
            "refused big.bin: storing this file would use 11 MiB; this client's quota"
                + " is 10 MiB [quota]\n");
    assertThat(server.awaitEvent("upload.failed").path("reason").asText()).isEqualTo("quota");
    assertThat(dir.resolve("server/uploads/sensor-1/big.bin")).doesNotExist();

    // Under the quota, and then a second file that would take the total over it.
    assertThat(client("", "upload", file("six.bin", 6 * MIB).toString()).exit()).isZero();
    CliRun second = client("", "upload", file("five.bin", 5 * MIB).toString());
    assertThat(second.exit()).isEqualTo(5);
    assertThat(second.out()).contains("[quota]");
  }

  @Test
  void theLargestFileIsTheClientsOwnWhenItHasOne() throws IOException {
    limit(p -> p.withMaxFileSize(MIB));

    CliRun refused = client("", "upload", file("two.bin", 2 * MIB).toString());

    assertThat(refused.exit()).isEqualTo(5);
    assertThat(refused.out())
        .contains("the largest file this client may store is 1 MiB [too-large]");
    assertThat(client("", "upload", file("one.bin", MIB).toString()).exit()).isZero();
  }

  @Test
  void anUploadOnlyMachineMayNeitherPingNorChat_eachRefusalEndsTheSessionWithExitFive()
      throws IOException {
    limit(p -> p.withSessions(EnumSet.of(SessionKind.UPLOAD)));

    CliRun ping = client("", "ping");
    assertThat(ping.exit()).isEqualTo(5);
    assertThat(ping.err())
        .isEqualTo(
            "auth-client: the server refused: ping sessions are not permitted for this client\n");
    CliRun chat = client("hi\n", "chat", "--json");
    assertThat(chat.exit()).isEqualTo(5);
    assertThat(chat.err())
        .isEqualTo(
            "auth-client: the server refused: chat sessions are not permitted for this client\n");
    assertThat(
            server.awaitEvent(
                "session.closed",
                e ->
                    e.path("outcome").asText().equals("not-permitted")
                        && e.path("detail").asText().startsWith("chat")))
        .isNotNull();

    assertThat(client("", "upload", file("ok.bin", 10).toString()).exit()).isZero();
  }

  @Test
  void aChatOnlyMachineMayNotUpload_andItsChatKeepalivesAreNotPingSessions() throws IOException {
    limit(p -> p.withSessions(EnumSet.of(SessionKind.CHAT)));

    CliRun upload = client("", "upload", file("x.bin", 10).toString());
    assertThat(upload.exit()).isEqualTo(5);
    assertThat(upload.out()).contains("uploads are not permitted for this client [not-permitted]");
    assertThat(server.awaitEvent("upload.failed").path("reason").asText())
        .isEqualTo("not-permitted");

    CliRun chat = client("hello\n", "chat", "--json", "--keepalive", "200ms");
    assertThat(chat.exit()).as(chat.err()).isZero();
  }

  @Test
  void aClientPastItsExpiryIsRefusedAsExpiredKey() throws IOException {
    limit(p -> p.withExpires(Instant.now().minusSeconds(1)));

    CliRun ping = client("", "ping");

    assertThat(ping.exit()).isEqualTo(3);
    assertThat(server.awaitEvent("auth.rejected").path("reason").asText()).isEqualTo("expired-key");
    limit(p -> p.withExpires(Instant.now().plusSeconds(3600)));
    assertThat(client("", "ping").exit()).isZero();
  }

  @Test
  void theQuotaCountsFilesStoredEarlierOnTheSameConnection() throws IOException {
    limit(p -> p.withQuota(3 * MIB));
    Path a = file("a.bin", 2 * MIB);
    Path b = file("b.bin", 2 * MIB);

    CliRun both = client("", "upload", a.toString(), b.toString());

    assertThat(both.exit()).isEqualTo(5);
    assertThat(both.out()).contains("stored a.bin").contains("refused b.bin").contains("[quota]");
    limit(p -> p.withQuota(null));
    assertThat(client("", "upload", b.toString()).exit()).isZero();
  }

  @Test
  void aChangeAppliesToALiveSessionAtItsNextRequest() throws Exception {
    BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    try (ChatClient chat = chat(events, new java.util.concurrent.CompletableFuture<>())) {
      chat.join("dev");
      assertThat(next(events).kind()).isEqualTo(Event.Kind.JOINED);

      limit(p -> p.withRooms(List.of("ops")));
      chat.join("dev-2");
      Event refused = next(events);
      assertThat(refused.kind()).isEqualTo(Event.Kind.ERROR);
      assertThat(refused.text()).startsWith("room 'dev-2' is not permitted");
      chat.join("ops");
      Event joined = next(events);
      while (joined.kind() != Event.Kind.JOINED) {
        joined = next(events);
      }
      assertThat(joined.room()).isEqualTo("ops");
    }
  }

  @Test
  void aMemberWhoseRoomIsNoLongerPermittedIsClosedWithinTheReloadInterval() throws Exception {
    server.watchKeys();
    java.util.concurrent.CompletableFuture<Exception> ended =
        new java.util.concurrent.CompletableFuture<>();
    BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    try (ChatClient chat = chat(events, ended)) {
      chat.join("dev");
      assertThat(next(events).kind()).isEqualTo(Event.Kind.JOINED);

      // As `keys set sensor-1 --rooms ops` does: the file changes, the watcher reloads it.
      server.keystore().settings().setPermissions("sensor-1", p -> p.withRooms(List.of("ops")));

      Exception why = ended.get(30, TimeUnit.SECONDS);
      assertThat(why)
          .isInstanceOf(ProtocolException.class)
          .hasMessageContaining("permissions changed");
    }
    assertThat(
            server
                .awaitEvent(
                    "session.closed", e -> e.path("outcome").asText().equals("not-permitted"))
                .path("client_id")
                .asText())
        .isEqualTo("sensor-1");
  }

  /** A chat session as sensor-1: events into {@code events}, how it ended into {@code ended}. */
  private ChatClient chat(
      BlockingQueue<Event> events, java.util.concurrent.CompletableFuture<Exception> ended)
      throws IOException {
    ChatClient chat =
        new ChatClient(
            new Connector(
                    Credential.load(key).identity(),
                    HostKeyTrust.of(Credential.load(key)),
                    Duration.ofSeconds(10),
                    RandomSource.secure())
                .connect(new ServerAddress("127.0.0.1", server.port())));
    chat.start(
        new ChatClient.Listener() {
          @Override
          public void onEvent(Event event) {
            events.add(event);
          }

          @Override
          public void onEnd(String reason, Exception failure) {
            ended.complete(failure);
          }
        });
    return chat;
  }

  private static Event next(BlockingQueue<Event> events) throws InterruptedException {
    Event event = events.poll(30, TimeUnit.SECONDS);
    assertThat(event).as("a chat event within 30 s").isNotNull();
    return event;
  }

  private VerifiedConnection connect(Credential credential) throws IOException {
    return AuthgateClient.of(new ServerAddress("127.0.0.1", server.port()), credential).connect();
  }

  private static SessionMessage skipUploadResult(VerifiedConnection connection) throws IOException {
    SessionMessage reply = connection.channel().receive();
    while (reply instanceof UploadResult) {
      reply = connection.channel().receive();
    }
    return reply;
  }

  @Test
  void aClientWithNoSessionKindIsNotKeptAliveByPingsAfterARefusedRequest() throws Exception {
    Credential credential = Credential.parse(key, java.nio.file.Files.readString(key));
    limit(p -> p.withSessions(EnumSet.noneOf(SessionKind.class)));

    try (var connection = connect(credential)) {
      connection.channel().send(new UploadBegin("a.txt", 1, false, false));
      connection.channel().send(new SessionMessage.Ping(7));
      SessionMessage reply = skipUploadResult(connection);

      assertThat(reply)
          .isInstanceOfSatisfying(
              SessionMessage.Close.class,
              c -> assertThat(c.code()).isEqualTo(SessionMessage.Close.NOT_PERMITTED));
    }
    assertThat(server.awaitEvent("session.closed").path("outcome").asText())
        .isEqualTo("not-permitted");
  }

  @Test
  void roomsListsOnlyTheRoomsThisClientMayJoin_andDatagramStatusNeedsChat() throws Exception {
    Credential other = server.provision("sensor-2");
    Credential credential = Credential.parse(key, java.nio.file.Files.readString(key));
    limit(p -> p.withRooms(List.of("ops")));
    try (var secret = connect(other);
        var ops = connect(credential)) {
      secret.channel().send(new ChatMessage.Join("secret-room"));
      ops.channel().send(new ChatMessage.Join("ops"));
      server.awaitEvent("chat.joined", e -> e.path("room").asText().equals("secret-room"));
      server.awaitEvent("chat.joined", e -> e.path("room").asText().equals("ops"));

      ops.channel().send(new ChatMessage.Rooms());
      Event rooms = nextEvent(ops, Event.Kind.ROOMS);
      assertThat(rooms.text()).isEqualTo("ops:1");

      secret.channel().send(new ChatMessage.Rooms());
      assertThat(nextEvent(secret, Event.Kind.ROOMS).text()).contains("secret-room:1", "ops:1");
    }

    limit(p -> p.withSessions(EnumSet.of(SessionKind.PING)));
    try (var connection = connect(credential)) {
      connection.channel().send(new DatagramControl.Status());
      assertThat(connection.channel().receive()).isInstanceOf(SessionMessage.Close.class);
    }
  }

  private static Event nextEvent(VerifiedConnection connection, Event.Kind kind)
      throws IOException {
    for (int i = 0; i < 100; i++) {
      if (connection.channel().receive() instanceof Event e && e.kind() == kind) {
        return e;
      }
    }
    throw new AssertionError("no " + kind + " event in 100 messages");
  }
}
