package dev.authgate.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.crypto.ScramKeys;
import dev.authgate.protocol.frame.FrameCodec;
import dev.authgate.protocol.handshake.RogueServerHandshake;
import dev.authgate.protocol.handshake.ServerHandshake;
import dev.authgate.protocol.identity.HostKey;
import dev.authgate.protocol.identity.HostKeySet;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.keyfile.KeyFiles;
import dev.authgate.server.connection.ServerConfig;
import dev.authgate.server.defence.Defences;
import dev.authgate.server.defence.PenaltyPolicy;
import dev.authgate.server.keystore.LiveKeystore;
import dev.authgate.server.testing.TestServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code auth-client ping} against a real server in the same JVM: output, exit code, audit. */
class PingCommandTest {
  @TempDir Path dir;
  TestServer server;
  Path sensorKey;

  @BeforeEach
  void start() throws IOException {
    server = TestServer.start(dir.resolve("server"));
    server.provision("sensor-1");
    sensorKey = server.credentialFile("sensor-1");
  }

  @AfterEach
  void stop() throws IOException {
    server.close();
  }

  private Path credential(String clientId, byte[] secret) throws IOException {
    Path file = dir.resolve(clientId + "-" + System.nanoTime() + ".credential");
    KeyFiles.writePrivate(
        file,
        new Credential(clientId, "k1", secret, java.util.List.of(server.hostKeyFingerprint()))
            .format(),
        false);
    return file;
  }

  @Test
  void aProvisionedClientIsLetInAndSeesTheServerIdAndRoundTrip() {
    CliRun run =
        CliRun.client("ping", "--server", server.hostPort(), "--key", sensorKey.toString());

    assertThat(run.exit()).isZero();
    assertThat(run.out())
        .startsWith("verified server 'authgate' at " + server.hostPort() + " as sensor-1 (key k1)")
        .contains("round trip");
    JsonNode accepted = server.awaitEvent("auth.accepted");
    assertThat(accepted.path("client_id").asText()).isEqualTo("sensor-1");
    assertThat(accepted.path("key_id").asText()).isEqualTo("k1");
    assertThat(server.awaitEvent("session.closed").path("outcome").asText()).isEqualTo("closed");
  }

  @Test
  void verboseSaysEachStepOfTheConnection_andNeverASecret() throws IOException {
    CliRun run =
        CliRun.client(
            "ping", "--server", server.hostPort(), "--key", sensorKey.toString(), "--verbose");

    assertThat(run.exit()).as(run.err()).isZero();
    List<String> steps = run.err().lines().toList();
    assertThat(steps).hasSize(6);
    assertThat(steps.get(0)).isEqualTo("auth-client: connecting to " + server.hostPort());
    assertThat(steps.get(1))
        .matches(
            "auth-client: connected to 127\\.0\\.0\\.1:[0-9]+ from 127\\.0\\.0\\.1:[0-9]+ in [0-9.]+ ms");
    assertThat(steps.get(2))
        .matches(
            "auth-client: HELLO after [0-9.]+ ms, signed by host key "
                + java.util.regex.Pattern.quote(server.hostKeyFingerprint()));
    assertThat(steps.get(3)).isEqualTo("auth-client: this credential trusts that host key");
    assertThat(steps.get(4)).isEqualTo("auth-client: sent AUTH as sensor-1 (key k1), sealed");
    assertThat(steps.get(5))
        .matches(
            "auth-client: verified server 'authgate': it proved it holds this client's verifier"
                + " \\(handshake [0-9.]+ ms\\)");
    String secret = Files.readString(sensorKey).replaceAll("(?s).*\nsecret (\\S+).*", "$1");
    assertThat(secret).hasSizeBetween(20, 100).doesNotContain("\n");
    assertThat(run.err()).doesNotContain(secret);
    assertThat(
            CliRun.client("ping", "--server", server.hostPort(), "--key", sensorKey.toString())
                .err())
        .isEmpty();
  }

  @Test
  void aWrongKeyExitsThreeAndIsAuditedAsBadProof() throws IOException {
    Path wrong = credential("sensor-1", RandomSource.secure().bytes(32));

    CliRun run = CliRun.client("ping", "--server", server.hostPort(), "--key", wrong.toString());

    assertThat(run.exit()).isEqualTo(3);
    assertThat(run.err())
        .isEqualTo("auth-client: the server refused this client (wrong or unknown key)\n");
    assertThat(run.out()).isEmpty();
    JsonNode rejected = server.awaitEvent("auth.rejected");
    assertThat(rejected.path("reason").asText()).isEqualTo("bad-proof");
    assertThat(rejected.path("client_id").asText()).isEqualTo("sensor-1");
  }

  @Test
  void anUnknownClientExitsThreeAndIsAuditedAsUnknownClient() throws IOException {
    Path unknown = credential("stranger", RandomSource.secure().bytes(32));

    CliRun run = CliRun.client("ping", "--server", server.hostPort(), "--key", unknown.toString());

    assertThat(run.exit()).isEqualTo(3);
    assertThat(server.awaitEvent("auth.rejected").path("reason").asText())
        .isEqualTo("unknown-client");
  }

  @Test
  void aPenalisedAddressIsToldSoAndForHowLong_evenWithTheRightKey() throws IOException {
    // One failed login costs 10 minutes here: far beyond the 10 s a command waits out.
    PenaltyPolicy harsh =
        new PenaltyPolicy(
            Duration.ofMinutes(10),
            Duration.ofMinutes(10),
            Duration.ofMinutes(10),
            Duration.ofSeconds(1),
            Duration.ofHours(1),
            32,
            64,
            1000,
            List.of());
    try (TestServer strict =
        TestServer.start(
            dir.resolve("strict"),
            ServerConfig.loopback(0, dir.resolve("strict-uploads"))
                .withDefences(new Defences(harsh, "100")))) {
      strict.provision("sensor-1");
      Path wrong = dir.resolve("wrong.credential");
      KeyFiles.writePrivate(
          wrong,
          new Credential(
                  "sensor-1",
                  "k1",
                  RandomSource.secure().bytes(32),
                  List.of(strict.hostKeyFingerprint()))
              .format(),
          false);
      assertThat(
              CliRun.client("ping", "--server", strict.hostPort(), "--key", wrong.toString())
                  .exit())
          .isEqualTo(3);

      CliRun run =
          CliRun.client(
              "ping",
              "--server",
              strict.hostPort(),
              "--key",
              strict.credentialFile("sensor-1").toString());

      assertThat(run.exit()).isEqualTo(4);
      Matcher told =
          Pattern.compile(
                  "auth-client: too many failed attempts from this address: the server refuses it"
                      + " for another ([0-9]+) s\n")
              .matcher(run.err());
      assertThat(told.matches()).as(run.err()).isTrue();
      assertThat(Integer.parseInt(told.group(1))).isBetween(60, 600);
    }
  }

  @Test
  void aRevokedClientIsRefused() throws IOException {
    server.keystore().revoke("sensor-1");
    server.reloadKeys();

    CliRun run =
        CliRun.client("ping", "--server", server.hostPort(), "--key", sensorKey.toString());

    assertThat(run.exit()).isEqualTo(3);
    assertThat(run.err())
        .isEqualTo("auth-client: the operator revoked this key (or denied this machine)\n");
    assertThat(server.awaitEvent("auth.rejected").path("reason").asText()).isEqualTo("revoked-key");
  }

  @Test
  void aServerThatSignsWithThePinnedKeyButDoesNotHoldTheVerifierIsRefusedAndHearsNothingMore()
      throws Exception {
    Path pinnedToRogue = dir.resolve("pinned-to-rogue.credential");
    Credential sensor = Credential.load(sensorKey);
    KeyFiles.writePrivate(
        pinnedToRogue,
        sensor
            .withHostKeys(java.util.List.of(RogueServerHandshake.HOST.publicKey().fingerprint()))
            .format(),
        false);
    try (ServerSocket rogueListener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CompletableFuture<Integer> bytesAfterWelcome =
          CompletableFuture.supplyAsync(
              () -> {
                try (Socket socket = rogueListener.accept()) {
                  socket.setSoTimeout(10_000);
                  RogueServerHandshake rogue =
                      new RogueServerHandshake(
                          ScramKeys.fromSaltedPassword(RandomSource.secure().bytes(32)).verifier());
                  socket.getOutputStream().write(rogue.hello());
                  InputStream in = socket.getInputStream();
                  socket
                      .getOutputStream()
                      .write(rogue.welcome(FrameCodec.read(in, FrameCodec.PRE_AUTH_MAX_PAYLOAD)));
                  return in.readAllBytes().length;
                } catch (IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              });

      CliRun run =
          CliRun.client(
              "ping",
              "--server",
              "127.0.0.1:" + rogueListener.getLocalPort(),
              "--key",
              pinnedToRogue.toString());

      assertThat(run.exit()).isEqualTo(3);
      assertThat(run.err()).contains("could not prove").contains("not talking to it");
      assertThat(bytesAfterWelcome.get(10, TimeUnit.SECONDS)).isZero();
    }
  }

  @Test
  void aRogueHoldingACopyOfTheKeystoreButNotTheHostKeyGetsNoByteAfterHelloAndNothingToReuse()
      throws Exception {
    // Everything a stolen backup or another server of the cluster would hold, except host.key.
    LiveKeystore copy = new LiveKeystore(server.keystore().load(), java.time.Clock.systemUTC());
    HostKey roguesOwn = HostKey.generate(RandomSource.secure());
    try (ServerSocket rogueListener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CompletableFuture<Integer> bytesAfterHello =
          CompletableFuture.supplyAsync(
              () -> {
                try (Socket socket = rogueListener.accept()) {
                  socket.setSoTimeout(10_000);
                  var rogue =
                      new ServerHandshake(
                          copy, "authgate", HostKeySet.of(roguesOwn), RandomSource.secure());
                  socket.getOutputStream().write(rogue.hello());
                  return socket.getInputStream().readAllBytes().length;
                } catch (IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              });

      CliRun run =
          CliRun.client(
              "ping",
              "--server",
              "127.0.0.1:" + rogueListener.getLocalPort(),
              "--key",
              sensorKey.toString());

      assertThat(run.exit()).isEqualTo(3);
      assertThat(run.err())
          .contains("the server's host key " + roguesOwn.publicKey().fingerprint())
          .contains("is not the one pinned in " + sensorKey)
          .contains(server.hostKeyFingerprint());
      assertThat(bytesAfterHello.get(10, TimeUnit.SECONDS)).isZero();
      // and the credential still pins the real server, which lets the machine in
      assertThat(Credential.load(sensorKey).hostKeys())
          .containsExactly(server.hostKeyFingerprint());
      assertThat(
              CliRun.client("ping", "--server", server.hostPort(), "--key", sensorKey.toString())
                  .exit())
          .isZero();
    }
  }

  @Test
  void aCredentialWithoutPinsIsRefusedUnlessAcceptNewWhichPinsTheKeyInTheFile() throws Exception {
    Credential sensor = Credential.load(sensorKey);
    Path unpinned = dir.resolve("unpinned.credential");
    KeyFiles.writePrivate(unpinned, sensor.withHostKeys(java.util.List.of()).format(), false);

    CliRun refused =
        CliRun.client("ping", "--server", server.hostPort(), "--key", unpinned.toString());
    assertThat(refused.exit()).isEqualTo(3);
    assertThat(refused.err())
        .contains("the server's host key is " + server.hostKeyFingerprint())
        .contains("no host key is pinned")
        .contains("--accept-new");
    assertThat(Credential.load(unpinned).hostKeys()).isEmpty();

    CliRun accepted =
        CliRun.client(
            "ping", "--server", server.hostPort(), "--key", unpinned.toString(), "--accept-new");
    assertThat(accepted.exit()).isZero();
    assertThat(Credential.load(unpinned).hostKeys()).containsExactly(server.hostKeyFingerprint());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(unpinned)))
        .isEqualTo("rw-------");
  }

  @Test
  void pinShowsAddsAndReplacesTheCredentialsPins() throws Exception {
    String other = HostKey.generate(RandomSource.secure()).publicKey().fingerprint();
    CliRun shown = CliRun.client("pin", "--key", sensorKey.toString());
    assertThat(shown.exit()).isZero();
    assertThat(shown.out()).isEqualTo(server.hostKeyFingerprint() + "\n");

    assertThat(CliRun.client("pin", "--key", sensorKey.toString(), other).exit()).isZero();
    assertThat(Credential.load(sensorKey).hostKeys())
        .containsExactly(server.hostKeyFingerprint(), other);

    assertThat(CliRun.client("pin", "--key", sensorKey.toString(), "--replace", other).exit())
        .isZero();
    assertThat(Credential.load(sensorKey).hostKeys()).containsExactly(other);
    CliRun refused =
        CliRun.client("ping", "--server", server.hostPort(), "--key", sensorKey.toString());
    assertThat(refused.exit()).isEqualTo(3);

    CliRun bad = CliRun.client("pin", "--key", sensorKey.toString(), "SHA256:nope");
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).contains("not a host key fingerprint");
  }

  @Test
  void nothingListeningExitsFour() throws IOException {
    int port;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort();
    }
    CliRun run =
        CliRun.client("ping", "--server", "127.0.0.1:" + port, "--key", sensorKey.toString());

    assertThat(run.exit()).isEqualTo(4);
    // the address tried, and why, in the words both clients use
    assertThat(run.err())
        .isEqualTo("auth-client: cannot connect to 127.0.0.1:" + port + ": connection refused\n");
  }

  @Test
  void aCredentialReadableByOthersIsRefusedWithTheChmodThatFixesIt() throws IOException {
    Files.setPosixFilePermissions(sensorKey, PosixFilePermissions.fromString("rw-r--r--"));

    CliRun run =
        CliRun.client("ping", "--server", server.hostPort(), "--key", sensorKey.toString());

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err())
        .isEqualTo(
            "auth-client: "
                + sensorKey
                + " is accessible by group or others (mode 0644); run: chmod 600 "
                + sensorKey
                + "\n");
    assertThat(server.events("auth.accepted")).isEmpty();
  }

  @Test
  void aMissingCredentialIsOneClearLine() {
    Path missing = dir.resolve("nope.credential");
    CliRun run = CliRun.client("ping", "--server", server.hostPort(), "--key", missing.toString());

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).isEqualTo("auth-client: key file " + missing + " does not exist\n");
  }

  @Test
  void aMalformedCredentialNamesFileAndLineButNotTheValue() throws IOException {
    Path bad = dir.resolve("bad.credential");
    KeyFiles.writePrivate(
        bad, "authgate-credential 1\nclient-id a\nkey-id k1\nsecret c2VjcmV0\n", false);

    CliRun run = CliRun.client("ping", "--server", server.hostPort(), "--key", bad.toString());

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err())
        .isEqualTo("auth-client: " + bad + ":4: secret must be 32 bytes, found 6\n")
        .doesNotContain("c2VjcmV0");
  }

  @Test
  void aBadServerAddressIsAUsageError() {
    CliRun run =
        CliRun.client("ping", "--server", "host:not-a-port", "--key", sensorKey.toString());

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).contains("use HOST[:PORT]");
  }

  @Test
  void aStackTraceAppearsOnlyWithVerbose() {
    Path missing = dir.resolve("nope.credential");
    CliRun quiet =
        CliRun.client("ping", "--server", server.hostPort(), "--key", missing.toString());
    CliRun verbose =
        CliRun.client(
            "ping", "--server", server.hostPort(), "--key", missing.toString(), "--verbose");

    assertThat(quiet.err()).doesNotContain("\tat ");
    assertThat(verbose.err()).contains("\tat dev.authgate");
  }

  @Test
  void missingOptionsAreAUsageError() {
    assertThat(CliRun.client("ping").exit()).isEqualTo(2);
    assertThat(CliRun.client().exit()).isEqualTo(2);
  }

  @Test
  void theTimeoutTakesADurationOrBareSecondsLikeTheServersOptions() {
    for (String timeout : new String[] {"2s", "1500ms", "5", "PT3S"}) {
      CliRun run =
          CliRun.client(
              "ping",
              "--server",
              server.hostPort(),
              "--key",
              sensorKey.toString(),
              "--timeout",
              timeout);
      assertThat(run.exit()).as(timeout + ": " + run.err()).isZero();
    }
    CliRun bad =
        CliRun.client(
            "ping",
            "--server",
            server.hostPort(),
            "--key",
            sensorKey.toString(),
            "--timeout",
            "soon");
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).contains("'soon' is not a duration");
  }
}
