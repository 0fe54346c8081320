package dev.authgate.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.authgate.client.connect.Connector;
import dev.authgate.client.connect.HostKeyTrust;
import dev.authgate.client.connect.ServerAddress;
import dev.authgate.client.connect.VerifiedConnection;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.handshake.ServerHandshake;
import dev.authgate.protocol.handshake.VerifierLookup;
import dev.authgate.protocol.identity.HostKey;
import dev.authgate.protocol.identity.HostKeySet;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.keyfile.EnrollmentToken;
import dev.authgate.protocol.keyfile.KeyStatus;
import dev.authgate.protocol.session.SessionMessage;
import dev.authgate.protocol.session.UploadBegin;
import dev.authgate.server.cli.ServerCliRun;
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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code auth-client enroll} against a real server: a token enrolls exactly what it says, once; the
 * machine's secret never reaches the server; every use and failed use is audited.
 */
class EnrollTest {
  @TempDir Path dir;
  TestServer server;

  @BeforeEach
  void start() throws IOException {
    server = TestServer.start(dir.resolve("server"));
    server.provision("existing");
  }

  @AfterEach
  void stop() throws IOException {
    server.close();
  }

  private EnrollmentToken token(int uses, boolean approve, String id, String prefix)
      throws IOException {
    return server
        .keystore()
        .enrollmentTokens()
        .create(Duration.ofHours(1), uses, approve, id, prefix);
  }

  private CliRun client(String stdin, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit =
        AuthClientCommand.run(
            args,
            new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new CliRun(
        exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private CliRun enroll(EnrollmentToken token, String out, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "enroll",
                "--server",
                server.hostPort(),
                "--token",
                token.text(),
                "--out",
                dir.resolve(out).toString()));
    args.addAll(List.of(extra));
    return client("", args.toArray(String[]::new));
  }

  private CliRun ping(String credential) {
    return client(
        "", "ping", "--server", server.hostPort(), "--key", dir.resolve(credential).toString());
  }

  @Test
  void aTokenEnrollsExactlyOneMachine_whichPingsWithTheCredentialItMade() throws IOException {
    EnrollmentToken token = token(1, false, "sensor-7", null);

    CliRun enrolled = enroll(token, "sensor-7.credential");

    assertThat(enrolled.exit()).as(enrolled.err()).isZero();
    assertThat(enrolled.err()).startsWith("enrolled as sensor-7 (key k1) with server '");
    Path credential = dir.resolve("sensor-7.credential");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(credential)))
        .isEqualTo("rw-------");
    // At once, with no reload: the server that enrolled it knows it (enroll && ping).
    assertThat(ping("sensor-7.credential").exit()).isZero();
    assertThat(server.awaitEvent("enroll.accepted").path("client_id").asText())
        .isEqualTo("sensor-7");

    CliRun second = enroll(token, "again.credential");
    assertThat(second.exit()).isEqualTo(3);
    assertThat(second.err()).contains("the server refused the token");
    assertThat(dir.resolve("again.credential")).doesNotExist();
    assertThat(server.awaitEvent("enroll.rejected").path("reason").asText())
        .isEqualTo("token-expired-or-used");
  }

  @Test
  void aMachineEnrolledByOneServerOfAClusterIsLetInByAnotherAtOnce() throws IOException {
    // Two servers sharing one keystore, neither watching it: only a lookup that reads the new
    // client's file can let the machine in on the other.
    Path keys = dir.resolve("shared-keys");
    try (TestServer a =
            TestServer.withKeys(
                dir.resolve("a"),
                keys,
                dev.authgate.server.connection.ServerConfig.loopback(0, dir.resolve("a/up")));
        TestServer b =
            TestServer.withKeys(
                dir.resolve("b"),
                keys,
                dev.authgate.server.connection.ServerConfig.loopback(0, dir.resolve("b/up")))) {
      EnrollmentToken token =
          a.keystore().enrollmentTokens().create(Duration.ofHours(1), 1, false, "sensor-8", null);
      Path credential = dir.resolve("sensor-8.credential");
      CliRun enrolled =
          client(
              "",
              "enroll",
              "--server",
              a.hostPort(),
              "--token",
              token.text(),
              "--out",
              credential.toString());
      assertThat(enrolled.exit()).as(enrolled.err()).isZero();

      CliRun onB = client("", "ping", "--server", b.hostPort(), "--key", credential.toString());

      assertThat(onB.exit()).as(onB.err()).isZero();
      assertThat(b.events("auth.rejected")).isEmpty();
      // An id with no file is still unknown, and refused as any wrong login.
      Path stranger = dir.resolve("stranger.credential");
      dev.authgate.protocol.keyfile.KeyFiles.writePrivate(
          stranger,
          new Credential("nobody-9", "k1", new byte[32], Credential.load(credential).hostKeys())
              .format(),
          true);
      assertThat(client("", "ping", "--server", b.hostPort(), "--key", stranger.toString()).exit())
          .isEqualTo(3);
      assertThat(b.awaitEvent("auth.rejected").path("reason").asText()).isEqualTo("unknown-client");
    }
  }

  @Test
  void theSecretNeverLeavesTheMachine_andNeitherTheTokenNorTheSecretIsStoredOrLogged()
      throws IOException {
    EnrollmentToken token = token(1, false, null, "sensor-");

    assertThat(enroll(token, "m.credential").exit()).isZero();

    Credential credential = Credential.load(dir.resolve("m.credential"));
    String secret =
        credential
            .format()
            .lines()
            .filter(l -> l.startsWith("secret "))
            .findFirst()
            .orElseThrow()
            .substring(7);
    // base64url has '-' in it: the secret comes from the parsed token, not from the text's end
    String tokenSecret =
        java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(token.secret());
    assertThat(token.text()).contains("-" + tokenSecret + "-");
    try (Stream<Path> files = Files.walk(dir.resolve("server"))) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        String text = Files.readString(file, StandardCharsets.ISO_8859_1);
        assertThat(text).as(file.toString()).doesNotContain(secret).doesNotContain(tokenSecret);
      }
    }
    assertThat(credential.clientId()).matches("sensor-[0-9a-f]{8}");
  }

  @Test
  void aRogueHoldingTheFleetTokenGetsNoEnrollAndNothingIsEnrolled() throws Exception {
    // A multi-use fleet token: every machine holds it, so any one can compute its verifier and
    // answer the token's handshake correctly, but none holds the server's host key.
    EnrollmentToken fleet = token(10, false, null, "fleet-");
    VerifierLookup tokenVerifier =
        (id, kid) ->
            java.util.Optional.of(
                new VerifierLookup.KeyRecord(fleet.scramKeys().verifier(), KeyStatus.ACTIVE));
    try (java.net.ServerSocket rogueListener =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      java.util.concurrent.CompletableFuture<Integer> bytesAfterHello =
          java.util.concurrent.CompletableFuture.supplyAsync(
              () -> {
                try (java.net.Socket socket = rogueListener.accept()) {
                  socket.setSoTimeout(10_000);
                  var rogue =
                      new ServerHandshake(
                          tokenVerifier,
                          "authgate",
                          HostKeySet.of(HostKey.generate(RandomSource.secure())),
                          RandomSource.secure());
                  socket.getOutputStream().write(rogue.hello());
                  return socket.getInputStream().readAllBytes().length;
                } catch (IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              });

      CliRun relayed =
          client(
              "",
              "enroll",
              "--server",
              "127.0.0.1:" + rogueListener.getLocalPort(),
              "--token",
              fleet.text(),
              "--out",
              dir.resolve("m.credential").toString());

      assertThat(relayed.exit()).isEqualTo(3);
      assertThat(relayed.err())
          .contains("is not the one pinned in the token (" + server.hostKeyFingerprint() + ")");
      assertThat(bytesAfterHello.get(10, java.util.concurrent.TimeUnit.SECONDS)).isZero();
      assertThat(dir.resolve("m.credential")).doesNotExist();
      assertThat(server.keystore().enrollmentTokens().list())
          .singleElement()
          .satisfies(t -> assertThat(t.used()).isZero());
    }
    // The real server enrolls the machine with the same token, and its credential pins the key.
    CliRun real = enroll(fleet, "m.credential");
    assertThat(real.exit()).as(real.err()).isZero();
    assertThat(real.err()).contains("this machine's key fingerprint is SHA256:");
    assertThat(Credential.load(dir.resolve("m.credential")).hostKeys())
        .containsExactly(server.hostKeyFingerprint());
  }

  @Test
  void aTokenMadeBeforeHostKeysNeedsTheFingerprintGiven() throws IOException {
    EnrollmentToken pinned = token(1, false, "old-1", null);
    EnrollmentToken old = new EnrollmentToken(pinned.tokenId(), pinned.secret());
    assertThat(old.text()).startsWith("agt1-");

    CliRun refused = enroll(old, "o.credential");
    assertThat(refused.exit()).isEqualTo(2);
    assertThat(refused.err()).contains("made before host keys").contains("--host-key");
    assertThat(dir.resolve("o.credential")).doesNotExist();

    CliRun given = enroll(old, "o.credential", "--host-key", server.hostKeyFingerprint());
    assertThat(given.exit()).as(given.err()).isZero();
    assertThat(Credential.load(dir.resolve("o.credential")).hostKeys())
        .containsExactly(server.hostKeyFingerprint());
  }

  @Test
  void aWrongTokenIsRefusedAndAuditedAsAFailedLogin() {
    EnrollmentToken guessed =
        new EnrollmentToken("0123456789abcdef", new byte[32])
            .withHostKey(server.hostKeyFingerprint());

    CliRun refused = enroll(guessed, "x.credential");

    assertThat(refused.exit()).isEqualTo(3);
    assertThat(dir.resolve("x.credential")).doesNotExist();
    assertThat(server.awaitEvent("auth.rejected").path("client_id").asText())
        .isEqualTo("token:0123456789abcdef");
    assertThat(server.awaitEvent("enroll.rejected").path("reason").asText())
        .isEqualTo("token-unknown");
  }

  @Test
  void anExpiredOrRevokedTokenIsRefused() throws IOException {
    EnrollmentToken expired =
        server.keystore().enrollmentTokens().create(Duration.ofMillis(1), 1, false, "late", null);
    EnrollmentToken revoked = token(1, false, "gone", null);
    server.keystore().enrollmentTokens().revoke(revoked.tokenId());

    assertThat(enroll(expired, "late.credential").exit()).isEqualTo(3);
    assertThat(enroll(revoked, "gone.credential").exit()).isEqualTo(3);
    // The audit may be written just after the refusal is sent: wait for each.
    assertThat(
            server
                .awaitEvent(
                    "enroll.rejected", e -> e.path("token_id").asText().equals(expired.tokenId()))
                .path("reason")
                .asText())
        .isEqualTo("token-expired-or-used");
    assertThat(
            server
                .awaitEvent(
                    "enroll.rejected", e -> e.path("token_id").asText().equals(revoked.tokenId()))
                .path("reason")
                .asText())
        .isEqualTo("token-revoked");
    assertThat(server.keystore().path().resolve("late.keys")).doesNotExist();
  }

  @Test
  void idsOutsideWhatTheTokenAllowsAreRefusedAndTheTokenStaysUsable() throws IOException {
    EnrollmentToken prefixed = token(1, false, null, "sensor-");

    CliRun wrong = enroll(prefixed, "a.credential", "--id", "printer-1");
    assertThat(wrong.exit()).isEqualTo(5);
    assertThat(wrong.err()).contains("only ids starting with 'sensor-' [id-not-allowed]");
    CliRun taken = enroll(token(1, false, null, null), "b.credential", "--id", "existing");
    assertThat(taken.exit()).isEqualTo(5);
    assertThat(taken.err()).contains("[id-taken]");
    assertThat(dir.resolve("a.credential")).doesNotExist();

    assertThat(enroll(prefixed, "c.credential", "--id", "sensor-east").exit()).isZero();
  }

  @Test
  void theOperatorApprovesTheMachineWhoseFingerprintItPrinted() throws Exception {
    EnrollmentToken token = token(1, true, "m3", null);
    CliRun pending = enroll(token, "m3.credential");
    assertThat(pending.exit()).as(pending.err()).isZero();
    java.util.regex.Matcher printed =
        java.util.regex.Pattern.compile(
                "this machine's key fingerprint is (SHA256:[A-Za-z0-9+/]{43})")
            .matcher(pending.err());
    assertThat(printed.find()).as(pending.err()).isTrue();
    String fingerprint = printed.group(1);
    assertThat(Credential.load(dir.resolve("m3.credential")).scramKeys().verifier().fingerprint())
        .isEqualTo(fingerprint);
    String keys = server.keystore().path().toString();
    String audit = dir.resolve("keys-audit.jsonl").toString();

    ServerCliRun listed = ServerCliRun.server("keys", "list", "--keys", keys);
    assertThat(listed.out())
        .containsPattern(
            "m3 +k1 +pending .*" + java.util.regex.Pattern.quote(fingerprint.substring(0, 19)));

    String other = "SHA256:" + "A".repeat(43);
    ServerCliRun wrong =
        ServerCliRun.server(
            "keys", "approve", "m3", "--fingerprint", other, "--keys", keys, "--audit-log", audit);
    assertThat(wrong.exit()).isEqualTo(2);
    assertThat(wrong.err())
        .contains("'m3' waits with key " + fingerprint + ", not " + other)
        .contains("nothing decided");
    assertThat(server.keystore().enrollmentTokens().requirePending("m3").isPending()).isTrue();

    ServerCliRun approved =
        ServerCliRun.server(
            "keys",
            "approve",
            "m3",
            "--fingerprint",
            fingerprint,
            "--keys",
            keys,
            "--audit-log",
            audit);
    assertThat(approved.exit()).as(approved.err()).isZero();
    assertThat(approved.err()).contains("(key " + fingerprint + ")");
    assertThat(java.nio.file.Files.readString(dir.resolve("keys-audit.jsonl")))
        .contains("\"fingerprint\":\"" + fingerprint + "\"");
    server.reloadKeys();
    assertThat(ping("m3.credential").exit()).isZero();
  }

  @Test
  void withApproveTheMachineGetsInOnlyAfterApproval_andDenyRefusesItForGood() throws Exception {
    EnrollmentToken first = token(1, true, "m1", null);
    EnrollmentToken second = token(1, true, "m2", null);

    CliRun pending = enroll(first, "m1.credential");
    assertThat(pending.exit()).isZero();
    assertThat(pending.err())
        .contains("waiting for approval: on the server run: auth-server keys approve m1");
    server.reloadKeys();
    assertThat(ping("m1.credential").exit()).isEqualTo(3);
    assertThat(
            server
                .awaitEvent("auth.rejected", e -> e.path("client_id").asText().equals("m1"))
                .path("reason")
                .asText())
        .isEqualTo("pending-approval");

    server.keystore().enrollmentTokens().approve("m1");
    server.reloadKeys();
    assertThat(ping("m1.credential").exit()).isZero();

    assertThat(enroll(second, "m2.credential").exit()).isZero();
    server.keystore().enrollmentTokens().deny("m2");
    server.reloadKeys();
    assertThat(ping("m2.credential").exit()).isEqualTo(3);
    assertThat(
            server
                .awaitEvent("auth.rejected", e -> e.path("client_id").asText().equals("m2"))
                .path("reason")
                .asText())
        .isEqualTo("revoked-key");
  }

  @Test
  void aPendingMachineIsToldItWaitsForApprovalAndADeniedOneThatItWasDenied() throws Exception {
    assertThat(enroll(token(1, true, "m6", null), "m6.credential").exit()).isZero();
    CliRun waiting = ping("m6.credential");
    assertThat(waiting.exit()).isEqualTo(3);
    assertThat(waiting.err())
        .isEqualTo(
            "auth-client: waiting for approval: the operator has not let this machine in yet (on"
                + " the server: auth-server keys approve m6)\n");

    server.keystore().enrollmentTokens().deny("m6");
    server.reloadKeys();
    CliRun denied = ping("m6.credential");
    assertThat(denied.exit()).isEqualTo(3);
    assertThat(denied.err())
        .isEqualTo("auth-client: the operator revoked this key (or denied this machine)\n");
  }

  @Test
  void enrollWaitGetsInOnceApproved_andStopsAtOnceWhenDenied() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<CliRun> approved =
          pool.submit(() -> enroll(token(1, true, "w1", null), "w1.credential", "--wait", "5m"));
      Future<CliRun> denied =
          pool.submit(() -> enroll(token(1, true, "w2", null), "w2.credential", "--wait", "5m"));
      for (String id : List.of("w1", "w2")) {
        Awaitility.await()
            .atMost(Duration.ofSeconds(60))
            .until(
                () ->
                    server.events("auth.rejected").stream()
                        .anyMatch(
                            e ->
                                e.path("client_id").asText().equals(id)
                                    && e.path("reason").asText().equals("pending-approval")));
      }
      server.keystore().enrollmentTokens().approve("w1");
      server.keystore().enrollmentTokens().deny("w2");
      server.reloadKeys();

      CliRun in = approved.get(2, TimeUnit.MINUTES);
      assertThat(in.exit()).as(in.err()).isZero();
      assertThat(in.err()).contains("approved: w1 is let in");
      CliRun out = denied.get(2, TimeUnit.MINUTES);
      assertThat(out.exit()).as(out.err()).isEqualTo(3);
      assertThat(out.err())
          .endsWith(
              "auth-client: denied by the operator: w2 is not let in (the credential stays in "
                  + dir.resolve("w2.credential")
                  + ")\n");
      // It asked once after the denial, and stopped: no string of failures for fail2ban.
      assertThat(
              server.events("auth.rejected").stream()
                  .filter(
                      e ->
                          e.path("client_id").asText().equals("w2")
                              && e.path("reason").asText().equals("revoked-key")))
          .hasSize(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void twoMachinesRacingWithASingleUseTokenGetOneEnrollment() throws Exception {
    EnrollmentToken token = token(1, false, null, "race-");
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<CliRun>> runs = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        String out = "race" + i + ".credential";
        runs.add(pool.submit((Callable<CliRun>) () -> enroll(token, out)));
      }
      int enrolled = 0;
      for (Future<CliRun> run : runs) {
        enrolled += run.get().exit() == 0 ? 1 : 0;
      }
      assertThat(enrolled).isEqualTo(1);
    } finally {
      pool.shutdownNow();
    }
    try (Stream<Path> keys = Files.list(server.keystore().path())) {
      assertThat(keys.filter(p -> p.getFileName().toString().startsWith("race-"))).hasSize(1);
    }
  }

  @Test
  void anExistingOutFileIsNeverOverwrittenAndNothingIsSent() throws IOException {
    EnrollmentToken token = token(1, false, "m5", null);
    Files.writeString(dir.resolve("mine.credential"), "precious");

    CliRun run = enroll(token, "mine.credential");

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err())
        .contains("exists; enroll writes a new credential and never overwrites one");
    assertThat(Files.readString(dir.resolve("mine.credential"))).isEqualTo("precious");
    assertThat(enroll(token, "m5.credential").exit()).isZero();
  }

  @Test
  void theTokenCanComeFromStdinAndAMalformedTokenIsAUsageError() throws IOException {
    EnrollmentToken token = token(1, false, "m6", null);

    CliRun fromStdin =
        client(
            token.text() + "\n",
            "enroll",
            "--server",
            server.hostPort(),
            "--token",
            "-",
            "--out",
            dir.resolve("m6.credential").toString());
    assertThat(fromStdin.exit()).as(fromStdin.err()).isZero();

    CliRun malformed =
        client(
            "",
            "enroll",
            "--server",
            server.hostPort(),
            "--token",
            "hello",
            "--out",
            dir.resolve("z").toString());
    assertThat(malformed.exit()).isEqualTo(2);
    assertThat(malformed.err()).contains("not an enrollment token").doesNotContain("hello");
  }

  @Test
  void aTokenSessionMayOnlyEnroll() throws IOException {
    EnrollmentToken token = token(1, false, "m7", null);

    try (VerifiedConnection session =
        new Connector(
                token.identity(),
                HostKeyTrust.of(token, null),
                Duration.ofSeconds(10),
                RandomSource.secure())
            .connect(new ServerAddress("127.0.0.1", server.port()))) {
      // Pings are fine (keepalives); anything but ENROLL ends the session.
      session.ping();
      session.channel().send(new UploadBegin("x.bin", 1, false, false));
      SessionMessage reply = session.channel().receive();
      assertThat(reply)
          .isEqualTo(
              new SessionMessage.Close(
                  SessionMessage.Close.NOT_PERMITTED,
                  "an enrollment token's session may only enroll"));
    }
    assertThat(
            server
                .awaitEvent(
                    "session.closed", e -> e.path("outcome").asText().equals("not-permitted"))
                .path("client_id")
                .asText())
        .isEqualTo("token:" + token.tokenId());
    // The token was not used up by the refused session.
    assertThat(enroll(token, "m7.credential").exit()).isZero();
  }
}
