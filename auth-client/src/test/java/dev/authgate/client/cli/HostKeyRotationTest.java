package dev.authgate.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.keyfile.EnrollmentToken;
import dev.authgate.server.cli.ServerCliRun;
import dev.authgate.server.testing.TestServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A host key rotation as an operator runs it ({@code keys host-key rotate}, an overlap, {@code keys
 * host-key retire}) against machines that run {@code auth-client}: the ones that connect during the
 * overlap follow it without anyone touching them; one that slept through it is refused with a
 * message naming both keys and the fix.
 */
class HostKeyRotationTest {
  @TempDir Path dir;
  TestServer server;
  Path keys;

  @BeforeEach
  void start() throws IOException {
    server = TestServer.start(dir.resolve("server"));
    keys = server.keystore().path();
    server.provision("awake");
    server.provision("asleep");
  }

  @AfterEach
  void stop() throws IOException {
    server.close();
  }

  private ServerCliRun keys(String... args) {
    String[] all = new String[args.length + 4];
    System.arraycopy(args, 0, all, 0, args.length);
    all[args.length] = "--keys";
    all[args.length + 1] = keys.toString();
    all[args.length + 2] = "--audit-log";
    all[args.length + 3] = dir.resolve("keys-audit.jsonl").toString();
    return ServerCliRun.server(all);
  }

  private ServerCliRun shown() {
    return ServerCliRun.server("keys", "host-key", "--keys", keys.toString());
  }

  private CliRun ping(String clientId) {
    return CliRun.client(
        "ping", "--server", server.hostPort(), "--key", server.credentialFile(clientId).toString());
  }

  private java.util.List<String> pins(String clientId) throws IOException {
    return Credential.load(server.credentialFile(clientId)).hostKeys();
  }

  @Test
  void aMachineThatConnectsDuringTheOverlapFollowsTheRotationAndOneThatSleptIsToldTheFix()
      throws IOException {
    String old = server.hostKeyFingerprint();

    ServerCliRun rotated = keys("keys", "host-key", "rotate");
    assertThat(rotated.exit()).as(rotated.err()).isZero();
    String next = rotated.out().strip();
    assertThat(next).startsWith("SHA256:").isNotEqualTo(old);
    assertThat(Files.getPosixFilePermissions(keys.resolve("host-next.key")))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    ServerCliRun again = keys("keys", "host-key", "rotate");
    assertThat(again.exit()).isEqualTo(2);
    assertThat(again.err()).contains("a rotation is already under way");
    ServerCliRun shown = shown();
    assertThat(shown.out()).isEqualTo(old + "\n" + next + "\n");
    server.reloadKeys(); // as the keystore watcher does at its next look

    // During the overlap the server still signs with the old key and announces the next one.
    assertThat(ping("awake").exit()).isZero();
    assertThat(pins("awake")).containsExactly(old, next);
    assertThat(Files.getPosixFilePermissions(server.credentialFile("awake")))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(pins("asleep")).containsExactly(old);

    ServerCliRun retired = keys("keys", "host-key", "retire");
    assertThat(retired.exit()).as(retired.err()).isZero();
    assertThat(retired.out().strip()).isEqualTo(next);
    assertThat(keys.resolve("host-next.key")).doesNotExist();
    assertThat(shown().out()).isEqualTo(next + "\n");
    server.reloadKeys();
    assertThat(server.hostKeyFingerprint()).isEqualTo(next);

    // The machine that was awake verifies the new key and drops the retired one.
    CliRun after = ping("awake");
    assertThat(after.exit()).as(after.err()).isZero();
    assertThat(pins("awake")).containsExactly(next);

    // The one that slept through the overlap is refused, told both keys and what to do.
    CliRun slept = ping("asleep");
    assertThat(slept.exit()).isEqualTo(3);
    assertThat(slept.err())
        .contains("the server's host key " + next + " is not the one pinned")
        .contains(old)
        .contains("rotated and retired while this machine was away")
        .contains("auth-client pin");
    assertThat(pins("asleep")).containsExactly(old); // never silently re-pinned

    // The fix the message names lets it in.
    assertThat(
            CliRun.client("pin", "--key", server.credentialFile("asleep").toString(), next).exit())
        .isZero();
    assertThat(ping("asleep").exit()).isZero();
    assertThat(pins("asleep")).containsExactly(next); // the retired pin goes at the next login

    // Every step was audited by the operator's commands.
    String audit = Files.readString(dir.resolve("keys-audit.jsonl"));
    assertThat(audit).contains("\"keys.host_key_rotated\"").contains("\"keys.host_key_retired\"");
  }

  @Test
  void credentialsMadeDuringTheOverlapPinBothKeysAndTokensPinTheSigningKey() throws IOException {
    String old = server.hostKeyFingerprint();
    String next = keys("keys", "host-key", "rotate").out().strip();
    ServerCliRun added =
        keys("keys", "add", "late", "--out", dir.resolve("late.credential").toString());
    assertThat(added.exit()).as(added.err()).isZero();
    assertThat(Credential.load(dir.resolve("late.credential")).hostKeys())
        .containsExactly(old, next);
    ServerCliRun token = keys("keys", "token", "create", "--id", "kiosk");
    assertThat(token.exit()).as(token.err()).isZero();
    assertThat(EnrollmentToken.parse(token.out()).hostKey()).isEqualTo(old);
    assertThat(token.err()).contains("it pins the host key " + old);
  }

  @Test
  void retireWithoutARotationIsAUsageErrorAndChangesNothing() throws IOException {
    String old = server.hostKeyFingerprint();
    ServerCliRun retired = keys("keys", "host-key", "retire");
    assertThat(retired.exit()).isEqualTo(2);
    assertThat(retired.err()).contains("no rotation is under way");
    assertThat(shown().out()).isEqualTo(old + "\n");
    assertThat(ping("awake").exit()).isZero();
  }
}
