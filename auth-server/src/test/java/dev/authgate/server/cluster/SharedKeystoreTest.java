package dev.authgate.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.session.SecureChannel;
import dev.authgate.protocol.session.SessionMessage;
import dev.authgate.server.cli.ServerCliRun;
import dev.authgate.server.connection.ServerConfig;
import dev.authgate.server.testing.RawClient;
import dev.authgate.server.testing.TestServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two supported ways to give several servers one keystore (docs/OPERATIONS.md, "Keys across
 * servers"), with the {@code keys} commands working on the directory as for one server: a shared
 * directory every server watches, and a copy synced by replacing whole files.
 */
class SharedKeystoreTest {
  private static final Duration WATCHED = Duration.ofSeconds(20);

  @TempDir Path dir;
  private TestServer a;
  private TestServer b;

  @AfterEach
  void stop() throws IOException {
    for (TestServer s : new TestServer[] {a, b}) {
      if (s != null) {
        s.close();
      }
    }
  }

  private static ServerCliRun keys(String... args) {
    return ServerCliRun.server(args);
  }

  private TestServer server(String name, Path keys) throws IOException {
    return TestServer.withKeys(
            dir.resolve(name),
            keys,
            ServerConfig.loopback(0, dir.resolve(name).resolve("uploads")).withServerId(name))
        .watchKeys();
  }

  private Credential add(Path keys, String id) throws IOException {
    Path out = dir.resolve(id + ".credential");
    ServerCliRun add = keys("keys", "add", id, "--keys", keys.toString(), "--out", out.toString());
    assertThat(add.exit()).as(add.err()).isZero();
    return Credential.load(out);
  }

  private static boolean admits(TestServer server, Credential who) throws IOException {
    try (RawClient client = RawClient.connect(server.port())) {
      return catchThrowable(() -> client.handshake(who.identity())) == null;
    }
  }

  private static RawClient session(TestServer server, Credential who) throws IOException {
    RawClient client = RawClient.connect(server.port());
    SecureChannel channel = client.handshake(who.identity());
    channel.send(new SessionMessage.Ping(1));
    assertThat(channel.receive()).isEqualTo(new SessionMessage.Pong(1));
    return client;
  }

  @Test
  void serversWatchingOneSharedDirectoryTakeANewKeyAndARevocationWithinTheirPollInterval()
      throws Exception {
    Path keys = dir.resolve("keys");
    a = server("a", keys);
    b = server("b", keys);

    Credential sensor = add(keys, "sensor-1");
    await().atMost(WATCHED).until(() -> admits(a, sensor) && admits(b, sensor));

    try (RawClient open = session(b, sensor)) {
      ServerCliRun revoke = keys("keys", "revoke", "sensor-1", "--keys", keys.toString());
      assertThat(revoke.exit()).as(revoke.err()).isZero();

      await().atMost(WATCHED).until(() -> !admits(a, sensor) && !admits(b, sensor));
      // The session open on b is closed too, not just new handshakes refused.
      b.awaitEvent("session.closed", e -> e.path("outcome").asText().equals("revoked"));
      assertThat(open.readToEnd()).isNotEmpty();
    }
  }

  @Test
  void aCopySyncedByReplacingWholeFilesTakesTheRevocationAtTheNextSync() throws Exception {
    Path master = dir.resolve("master-keys");
    Path copy = dir.resolve("copy-keys");
    Credential sensor = add(master, "sensor-1");
    sync(master, copy);
    a = server("a", copy);
    assertThat(admits(a, sensor)).isTrue();

    assertThat(keys("keys", "revoke", "sensor-1", "--keys", master.toString()).exit()).isZero();
    assertThat(admits(a, sensor)).isTrue(); // not synced yet
    sync(master, copy);

    await().atMost(WATCHED).until(() -> !admits(a, sensor));
  }

  /**
   * What rsync --delay-updates or a configuration-management copy does: each file written beside
   * its target and renamed over it, with its 0600 mode; files gone from the source removed.
   */
  private static void sync(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    Files.setPosixFilePermissions(to, PosixFilePermissions.fromString("rwx------"));
    Set<String> names;
    try (Stream<Path> files = Files.list(from)) {
      names =
          files
              .filter(Files::isRegularFile)
              .map(p -> p.getFileName().toString())
              .collect(Collectors.toSet());
    }
    for (String name : names) {
      Path staged = to.resolve("." + name + ".sync");
      Files.copy(from.resolve(name), staged, StandardCopyOption.REPLACE_EXISTING);
      Files.setPosixFilePermissions(staged, PosixFilePermissions.fromString("rw-------"));
      Files.move(staged, to.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    }
    try (Stream<Path> files = Files.list(to)) {
      for (Path file : files.toList()) {
        if (!names.contains(file.getFileName().toString())) {
          Files.delete(file);
        }
      }
    }
  }
}
