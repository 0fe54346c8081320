package dev.authgate.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.authgate.protocol.keyfile.ClientKeys;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.keyfile.KeyEntry;
import dev.authgate.protocol.keyfile.KeyFiles;
import dev.authgate.server.testing.TestServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A machine rotating its own key when its policy says so, and a copied credential giving itself
 * away: against a real server in this JVM, with the real command line.
 */
class SelfRotationTest {
  @TempDir Path dir;
  TestServer server;

  @BeforeEach
  void start() throws IOException {
    server = TestServer.start(dir.resolve("server"));
  }

  @AfterEach
  void stop() throws IOException {
    server.close();
  }

  private CliRun ping(Path credential) {
    return ping(server, credential);
  }

  static CliRun ping(TestServer server, Path credential) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit =
        AuthClientCommand.run(
            new String[] {"ping", "--server", server.hostPort(), "--key", credential.toString()},
            new ByteArrayInputStream(new byte[0]),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new CliRun(
        exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** Provisions {@code id} with a key older than {@code every}, to be rotated that often. */
  private Path provisionDue(String id, Duration every) throws IOException {
    return provisionDue(server, id, every);
  }

  static Path provisionDue(TestServer server, String id, Duration every) throws IOException {
    server.provision(id);
    Path file = server.keystore().path().resolve(ClientKeys.fileName(id));
    ClientKeys keys = ClientKeys.parse(file, KeyFiles.readPrivate(file));
    KeyEntry k1 = keys.key("k1").orElseThrow();
    KeyEntry aged =
        new KeyEntry(
            "k1", k1.created().minus(every).minus(1, ChronoUnit.HOURS), null, null, k1.verifier());
    KeyFiles.writePrivate(file, keys.with(aged).rotatingEvery(every).format(), true);
    server.reloadKeys();
    return server.credentialFile(id);
  }

  private ClientKeys stored(String id) throws IOException {
    Path file = server.keystore().path().resolve(ClientKeys.fileName(id));
    return ClientKeys.parse(file, KeyFiles.readPrivate(file));
  }

  @Test
  void aMachineRotatesOnItsNextSession_andItsOldKeyIsRefusedOnceTheNewOneWasUsed()
      throws Exception {
    Path credential = provisionDue("m1", Duration.ofDays(30));
    Credential before = Credential.load(credential);

    CliRun first = ping(credential);

    assertThat(first.exit()).as(first.err()).isZero();
    Credential after = Credential.load(credential);
    assertThat(after.keyId()).isEqualTo("k2");
    assertThat(after.clientId()).isEqualTo("m1");
    assertThat(after.hostKeys()).isEqualTo(before.hostKeys());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(credential)))
        .isEqualTo("rw-------");
    Path old = credential.resolveSibling(credential.getFileName() + ".old");
    assertThat(Credential.load(old)).isEqualTo(before);
    JsonNode rotated = server.awaitEvent("keys.self_rotated");
    assertThat(rotated.path("client_id").asText()).isEqualTo("m1");
    assertThat(rotated.path("key_id").asText()).isEqualTo("k1");
    assertThat(rotated.path("new_key_id").asText()).isEqualTo("k2");
    assertThat(stored("m1").key("k1").orElseThrow().replaced())
        .as("k1 works until k2 is first used")
        .isNull();

    CliRun second = ping(credential);

    assertThat(second.exit()).as(second.err()).isZero();
    assertThat(Credential.load(credential).keyId()).as("not due again").isEqualTo("k2");
    assertThat(old).as("the old file goes once the new key was used").doesNotExist();
    KeyEntry k2 = stored("m1").key("k2").orElseThrow();
    assertThat(k2.used()).isNotNull();
    assertThat(k2.usedFrom()).startsWith("127.0.0.1:");
    assertThat(stored("m1").key("k1").orElseThrow().replaced()).isNotNull();

    // No secret in any file of the server: only verifiers.
    for (Credential secretHolder : List.of(before, after)) {
      String secret =
          secretHolder
              .format()
              .lines()
              .filter(l -> l.startsWith("secret "))
              .findFirst()
              .orElseThrow()
              .substring("secret ".length());
      try (Stream<Path> files = Files.walk(dir.resolve("server"))) {
        for (Path file :
            files
                .filter(Files::isRegularFile)
                .filter(f -> !f.getFileName().toString().contains(".credential"))
                .toList()) {
          assertThat(Files.readString(file, StandardCharsets.ISO_8859_1))
              .as("%s", file)
              .doesNotContain(secret);
        }
      }
    }
  }

  @Test
  void aCopyThatLogsInAfterTheOriginalRotatedLocksTheIdForBoth_andTheAuditNamesBothSources()
      throws Exception {
    Path original = provisionDue("m2", Duration.ofDays(3650));
    server
        .keystore()
        .settings()
        .setRotateEvery("m2", null); // not due yet: both copies log in as one
    server.reloadKeys();
    Path copy = dir.resolve("copy.credential");
    Files.copy(original, copy);
    assertThat(ping(original).exit()).isZero();
    assertThat(ping(copy).exit()).isZero();

    server.keystore().settings().setRotateEvery("m2", Duration.ofDays(30));
    server.reloadKeys();
    assertThat(ping(original).exit()).isZero(); // rotates
    assertThat(ping(original).exit()).isZero(); // first use of k2

    CliRun theCopy = ping(copy);

    assertThat(theCopy.exit()).isEqualTo(3);
    assertThat(theCopy.err())
        .contains("the server locked m2")
        .contains("auth-server keys unlock m2");
    JsonNode clone = server.awaitEvent("auth.clone-suspected");
    assertThat(clone.path("client_id").asText()).isEqualTo("m2");
    assertThat(clone.path("key_id").asText()).isEqualTo("k1");
    assertThat(clone.path("remote").asText()).startsWith("127.0.0.1:");
    assertThat(clone.path("successor_key_id").asText()).isEqualTo("k2");
    assertThat(clone.path("successor_used_from").asText()).startsWith("127.0.0.1:");
    assertThat(stored("m2").locked()).isNotNull();

    CliRun theOriginal = ping(original);
    assertThat(theOriginal.exit()).as("both copies are refused").isEqualTo(3);
    assertThat(theOriginal.err()).contains("the server locked m2");
    assertThat(server.events("auth.clone-suspected")).as("audited once").hasSize(1);
    assertThat(server.events("auth.rejected"))
        .extracting(e -> e.path("reason").asText())
        .contains("clone-suspected");

    // The operator hands the genuine machine a new credential: the lock goes, every older key is
    // revoked at once, so the copy is refused as revoked and locks nothing again.
    Credential fresh =
        server.keystore().rotations().rotate("m2", Duration.ofHours(24)).credential();
    KeyFiles.writePrivate(original, fresh.format(), true);
    server.reloadKeys();
    assertThat(stored("m2").locked()).isNull();
    assertThat(ping(original).exit()).as("the genuine machine, with the new credential").isZero();
    CliRun copyAgain = ping(copy);
    assertThat(copyAgain.exit()).isEqualTo(3);
    assertThat(copyAgain.err()).contains("revoked");
    assertThat(stored("m2").locked()).isNull();
    assertThat(server.events("auth.clone-suspected")).hasSize(1);
  }

  @Test
  void aCopyUsedOnAnotherServerOfTheClusterIsCaughtAtOnce_andTheLockEndsSessionsEverywhere()
      throws Exception {
    Path keys = dir.resolve("shared-keys");
    try (TestServer a =
            TestServer.withKeys(
                    dir.resolve("a"),
                    keys,
                    dev.authgate.server.connection.ServerConfig.loopback(
                        0, dir.resolve("a/uploads")))
                .watchKeys();
        TestServer b =
            TestServer.withKeys(
                dir.resolve("b"),
                keys,
                dev.authgate.server.connection.ServerConfig.loopback(
                    0, dir.resolve("b/uploads")))) {
      Path original = provisionDue(a, "m5", Duration.ofDays(30));
      b.reloadKeys(); // b knows m5 and its k1, and (not watching) nothing more from here on
      Path copy = dir.resolve("copy5.credential");
      Files.copy(original, copy);

      assertThat(ping(a, original).exit()).isZero(); // rotates, on server a
      assertThat(ping(a, original).exit()).isZero(); // the new key's first login, on a
      Credential current = Credential.load(original);
      var open =
          new dev.authgate.client.connect.Connector(
                  current.identity(),
                  dev.authgate.client.connect.HostKeyTrust.of(current),
                  Duration.ofSeconds(10),
                  dev.authgate.protocol.crypto.RandomSource.secure())
              .connect(dev.authgate.client.connect.ServerAddress.parse(a.hostPort()));
      try (open) {
        // The copy, on server b, which has not looked at the directory since: caught anyway.
        CliRun theCopy = ping(b, copy);
        assertThat(theCopy.exit()).as(theCopy.err()).isEqualTo(3);
        assertThat(theCopy.err()).contains("the server locked m5");
        assertThat(b.awaitEvent("auth.clone-suspected").path("successor_used_from").asText())
            .startsWith("127.0.0.1:");

        // Server a ends the session the genuine machine has open, and refuses it from now on.
        assertThat(
                org.assertj.core.api.Assertions.catchThrowable(
                    () ->
                        open.awaitMessage(dev.authgate.protocol.session.SessionMessage.Pong.class)))
            .hasMessageContaining("locked");
        assertThat(ping(a, original).exit()).isEqualTo(3);
      }
    }
  }

  @Test
  void aKeyStoredByOneServerIsTakenByAnotherAtOnce_notRefusedUntilItsNextPoll() throws Exception {
    Path keys = dir.resolve("shared-keys-2");
    try (TestServer a =
            TestServer.withKeys(
                dir.resolve("a2"),
                keys,
                dev.authgate.server.connection.ServerConfig.loopback(0, dir.resolve("a2/up")));
        TestServer b =
            TestServer.withKeys(
                dir.resolve("b2"),
                keys,
                dev.authgate.server.connection.ServerConfig.loopback(0, dir.resolve("b2/up")))) {
      Path credential = provisionDue(a, "m6", Duration.ofDays(30));
      b.reloadKeys(); // and neither watches the directory from here on

      assertThat(ping(a, credential).exit()).isZero(); // rotates: a stores k2
      CliRun onB = ping(b, credential); // k2, which b has never seen

      assertThat(onB.exit()).as(onB.err()).isZero();
      assertThat(b.events("auth.rejected")).isEmpty();
    }
  }

  @Test
  void aSessionOutlivesItsKeyBeingDroppedFromTheFileAfterManyRotations() throws Exception {
    server.watchKeys();
    Path credential = provisionDue("m7", Duration.ofDays(30));
    server.keystore().settings().setRotateEvery("m7", null); // this session is not asked to rotate
    server.reloadKeys();
    Credential k1 = Credential.load(credential);
    var open =
        new dev.authgate.client.connect.Connector(
                k1.identity(),
                dev.authgate.client.connect.HostKeyTrust.of(k1),
                Duration.ofSeconds(10),
                dev.authgate.protocol.crypto.RandomSource.secure())
            .connect(dev.authgate.client.connect.ServerAddress.parse(server.hostPort()));
    try (open) {
      // Other processes of the machine rotate many times: k1 is replaced, then dropped.
      String current = "k1";
      for (int i = 0; i < 8; i++) {
        var stored =
            server
                .keystore()
                .selfRotations()
                .store(
                    "m7",
                    current,
                    dev.authgate.protocol.crypto.ScramKeys.fromSaltedPassword(
                            dev.authgate.protocol.crypto.RandomSource.secure().bytes(32))
                        .verifier());
        server.keystore().selfRotations().firstUse("m7", stored.keyId(), "127.0.0.1:1");
        current = stored.keyId();
      }
      assertThat(stored("m7").key("k1")).isEmpty();
      Thread.sleep(500); // the watcher (every 100 ms) has looked, and revalidated the sessions

      assertThat(open.ping()).as("the session that logged in with k1 runs on").isNotNull();
    }
    assertThat(server.events("session.closed"))
        .extracting(e -> e.path("outcome").asText())
        .doesNotContain("revoked");
  }

  @Test
  void aPlantedLockLinkIsNotFollowed_theClientSaysItCannotRotateAndKeepsItsKey() throws Exception {
    Path credential = provisionDue("m8", Duration.ofDays(30));
    Path victim = dir.resolve("victim");
    Files.createSymbolicLink(credential.resolveSibling("m8.credential.lock"), victim);

    CliRun run = ping(credential);

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.err()).contains("cannot rotate the key in " + credential);
    assertThat(victim).doesNotExist();
    assertThat(Credential.load(credential).keyId()).isEqualTo("k1");
  }

  @Test
  void ifTheCopyRotatesFirst_theOriginalsNextLoginLocksTheId() throws Exception {
    Path original = provisionDue("m3", Duration.ofDays(30));
    Path copy = dir.resolve("copy.credential");
    Files.copy(original, copy);

    assertThat(ping(copy).exit()).isZero(); // the copy rotates
    assertThat(ping(copy).exit()).isZero(); // and uses its new key

    CliRun theOriginal = ping(original);

    assertThat(theOriginal.exit()).isEqualTo(3);
    assertThat(server.awaitEvent("auth.clone-suspected").path("key_id").asText()).isEqualTo("k1");
    assertThat(ping(copy).exit()).isEqualTo(3);
  }

  @Test
  void aRotationTheClientCouldNotSaveNeverLocksIt_theServerAsksAgainAndTheUnusedKeyIsDropped()
      throws Exception {
    Path credential = provisionDue("m4", Duration.ofDays(30));
    Path old = credential.resolveSibling(credential.getFileName() + ".old");
    Files.createDirectories(old.resolve("in-the-way")); // the save fails (even for root)
    List<CliRun> runs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      runs.add(ping(credential));
    }
    assertThat(runs).allSatisfy(r -> assertThat(r.exit()).as(r.err()).isZero());
    assertThat(Credential.load(credential).keyId()).isEqualTo("k1");
    assertThat(runs.get(0).err()).contains("cannot save a rotated key in " + credential);
    assertThat(stored("m4").keys())
        .as("each unsaved key is dropped by the next rotation")
        .filteredOn(k -> k.replaces() != null && k.replaced() == null)
        .hasSize(1);

    Files.delete(old.resolve("in-the-way"));
    Files.delete(old);
    assertThat(ping(credential).exit()).isZero(); // rotates, saved this time
    assertThat(ping(credential).exit()).isZero(); // first use
    String keyId = Credential.load(credential).keyId();
    assertThat(keyId).isEqualTo("k5");
    assertThat(stored("m4").locked()).isNull();
    assertThat(server.events("auth.clone-suspected")).isEmpty();
  }

  @Test
  void aLoginUnderWayWhenAnotherProcessRotatedTheFileIsLetIn_notTakenForACopy() throws Exception {
    Path credential = provisionDue("m9", Duration.ofDays(30));
    Credential k1 = Credential.load(credential);
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout(10_000);
      var in = new java.io.BufferedInputStream(socket.getInputStream());
      var hello =
          dev.authgate.protocol.frame.FrameCodec.read(
              in, dev.authgate.protocol.frame.FrameCodec.PRE_AUTH_MAX_PAYLOAD);
      // This process read the file (k1) after HELLO arrived; meanwhile another process of the
      // machine rotates it and logs in with the new key.
      assertThat(ping(credential).exit()).isZero(); // rotates
      assertThat(ping(credential).exit()).isZero(); // the new key's first login
      assertThat(stored("m9").key("k1").orElseThrow().replaced()).isNotNull();
      var handshake =
          new dev.authgate.protocol.handshake.ClientHandshake(
              k1.identity(),
              presented -> dev.authgate.client.connect.HostKeyTrust.of(k1).check(presented),
              dev.authgate.protocol.crypto.RandomSource.secure());
      socket.getOutputStream().write(handshake.onHello(hello));

      var established =
          handshake.onWelcome(
              dev.authgate.protocol.frame.FrameCodec.read(
                  in, dev.authgate.protocol.frame.FrameCodec.PRE_AUTH_MAX_PAYLOAD));

      assertThat(established.rotation()).as("not asked to rotate a key it no longer has").isNull();
    }
    assertThat(
            server
                .awaitEvent("auth.accepted", e -> e.path("replaced_in_flight").asBoolean(false))
                .path("key_id")
                .asText())
        .isEqualTo("k1");
    assertThat(stored("m9").locked()).isNull();
    assertThat(server.events("auth.clone-suspected")).isEmpty();

    // The same key in a connection whose HELLO came after the new key's first login is a copy.
    CliRun copy = ping(writeCopy(k1));
    assertThat(copy.exit()).isEqualTo(3);
    assertThat(server.awaitEvent("auth.clone-suspected").path("key_id").asText()).isEqualTo("k1");
  }

  private Path writeCopy(Credential credential) throws IOException {
    Path copy = dir.resolve("copy-" + credential.clientId() + ".credential");
    KeyFiles.writePrivate(copy, credential.format(), true);
    return copy;
  }

  @Test
  void aMachineThatCannotSaveItsNewKeyIsToldWhenTheServerStopsTakingTheOldOne_andIsRefusedThen()
      throws Exception {
    server.rotateDeadline(Duration.ofDays(10));
    // Due for years, never asked: the deadline counts from the first ask, not from when it was due.
    Path credential = provisionDue("m10", Duration.ofDays(3650));
    Files.createDirectories(credential.resolveSibling("m10.credential.old").resolve("in-the-way"));

    CliRun run = ping(credential);

    assertThat(run.exit()).as(run.err()).isZero();
    KeyEntry asked = stored("m10").key("k1").orElseThrow();
    assertThat(asked.asked()).as("the first ask is recorded").isNotNull();
    assertThat(run.err())
        .contains("cannot save a rotated key in " + credential)
        .contains("the server refuses that key from " + asked.asked().plus(Duration.ofDays(10)));
    assertThat(ping(credential).exit()).as("asked again, still taken").isZero();
    assertThat(stored("m10").key("k1").orElseThrow().asked())
        .as("the first ask stays the one the deadline counts from")
        .isEqualTo(asked.asked());

    // Ten days after the first ask, not rotated: the key is refused as expired.
    ClientKeys keys = stored("m10");
    Path file = server.keystore().path().resolve(ClientKeys.fileName("m10"));
    KeyEntry k1 = keys.key("k1").orElseThrow();
    KeyEntry askedLongAgo =
        new KeyEntry(
            k1.keyId(),
            k1.created(),
            k1.revoked(),
            k1.expires(),
            k1.verifier(),
            k1.replaces(),
            k1.used(),
            k1.usedFrom(),
            k1.replaced(),
            k1.asked().minus(Duration.ofDays(10)));
    KeyFiles.writePrivate(file, keys.with(askedLongAgo).format(), true);
    server.reloadKeys();

    CliRun late = ping(credential);

    assertThat(late.exit()).isEqualTo(3);
    assertThat(late.err()).contains("expired");
    assertThat(server.awaitEvent("auth.rejected").path("reason").asText()).isEqualTo("expired-key");
    assertThat(server.events("auth.rejected")).hasSize(1);
  }

  @Test
  void aReplacedKeyWhoseAuthCameLongAfterItsHelloIsACopyHoldingTheHandshakeOpen_itLocks()
      throws Exception {
    Path credential = provisionDue("m11", Duration.ofDays(30));
    Credential k1 = Credential.load(credential);
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout(10_000);
      var in = new java.io.BufferedInputStream(socket.getInputStream());
      var hello =
          dev.authgate.protocol.frame.FrameCodec.read(
              in, dev.authgate.protocol.frame.FrameCodec.PRE_AUTH_MAX_PAYLOAD);
      assertThat(ping(credential).exit()).isZero(); // the genuine machine rotates
      assertThat(ping(credential).exit()).isZero(); // and uses its new key
      // A thief that held this handshake open, waiting for that moment, answers now: too late
      // for a login that was under way (this test is about that window).
      Thread.sleep(2_500);
      var handshake =
          new dev.authgate.protocol.handshake.ClientHandshake(
              k1.identity(),
              presented -> dev.authgate.client.connect.HostKeyTrust.of(k1).check(presented),
              dev.authgate.protocol.crypto.RandomSource.secure());
      socket.getOutputStream().write(handshake.onHello(hello));

      org.assertj.core.api.Assertions.assertThatThrownBy(
              () ->
                  handshake.onWelcome(
                      dev.authgate.protocol.frame.FrameCodec.read(
                          in, dev.authgate.protocol.frame.FrameCodec.PRE_AUTH_MAX_PAYLOAD)))
          .hasMessageContaining("locked");
    }
    assertThat(stored("m11").locked()).isNotNull();
    assertThat(server.awaitEvent("auth.clone-suspected").path("key_id").asText()).isEqualTo("k1");
  }

  @Test
  void aCopyThatRotatesFromTheKeyTheOriginalRotatedFromLocksTheId_andTheAuditNamesItsNewKey()
      throws Exception {
    Path original = provisionDue("m12", Duration.ofDays(30));
    Path copy = dir.resolve("copy12.credential");
    Files.copy(original, copy);
    assertThat(ping(original).exit()).isZero(); // k1 -> k2, not used yet
    assertThat(ping(copy).exit()).isZero(); // still k1 (taken until k2 is used): k1 -> k3

    CliRun theOriginal = ping(original); // k2, which the copy's rotation overtook

    assertThat(theOriginal.exit()).as(theOriginal.err()).isEqualTo(3);
    JsonNode clone = server.awaitEvent("auth.clone-suspected");
    assertThat(clone.path("key_id").asText()).isEqualTo("k2");
    assertThat(clone.path("successor_key_id").asText()).isEqualTo("k3");
    // Where k3 came from (it was never used): its keys.self_rotated event names the copy's source.
    assertThat(
            server
                .awaitEvent("keys.self_rotated", e -> e.path("new_key_id").asText().equals("k3"))
                .path("remote")
                .asText())
        .startsWith("127.0.0.1:");
    assertThat(ping(copy).exit()).as("both are refused").isEqualTo(3);
  }
}
