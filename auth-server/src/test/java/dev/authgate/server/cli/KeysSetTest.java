package dev.authgate.server.cli;

import static dev.authgate.server.cli.ServerCliRun.server;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code keys set}: what a client may do, changed in place and audited. */
class KeysSetTest {
  @TempDir Path dir;

  @BeforeEach
  void provision() {
    assertThat(
            server(
                    "keys",
                    "add",
                    "sensor-1",
                    "--keys",
                    keys().toString(),
                    "--out",
                    dir.resolve("sensor-1.credential").toString())
                .exit())
        .isZero();
  }

  private Path keys() {
    return dir.resolve("keys");
  }

  private ServerCliRun set(String... options) {
    String[] args = new String[7 + options.length];
    args[0] = "keys";
    args[1] = "set";
    args[2] = "sensor-1";
    args[3] = "--keys";
    args[4] = keys().toString();
    args[5] = "--audit-log";
    args[6] = dir.resolve("audit.jsonl").toString();
    System.arraycopy(options, 0, args, 7, options.length);
    return server(args);
  }

  private String file() throws IOException {
    return Files.readString(keys().resolve("sensor-1.keys"));
  }

  @Test
  void setsOnlyWhatIsGiven_andSaysWhatTheClientMayNowDo() throws IOException {
    ServerCliRun first = set("--sessions", "upload,chat", "--rooms", "ops,sensors-*");
    ServerCliRun second = set("--quota", "10M", "--max-file", "1M");

    assertThat(first.exit()).isZero();
    assertThat(second.exit()).isZero();
    assertThat(second.err())
        .startsWith(
            "client 'sensor-1' may now: chat, upload sessions; rooms ops, sensors-*; largest file"
                + " 1 MiB; quota 10 MiB; expires never;");
    assertThat(file())
        .contains(
            "permissions sessions=chat,upload rooms=ops,sensors-* max-file=1048576"
                + " quota=10485760\n");
    String list = server("keys", "list", "--long", "--keys", keys().toString()).out();
    assertThat(list)
        .contains(" ACCESS ")
        .contains("sessions=chat,upload rooms=ops,sensors-* max-file=1MiB quota=10MiB");
    assertThat(server("keys", "list", "--json", "--keys", keys().toString()).out())
        .contains(
            "\"access\":{\"sessions\":[\"chat\",\"upload\"],\"rooms\":[\"ops\",\"sensors-*\"],"
                + "\"max_file\":1048576,\"quota\":10485760,\"expires\":null}");
  }

  @Test
  void defaultAllAndNeverUndoEachLimit() throws IOException {
    set("--sessions", "ping", "--rooms", "none", "--quota", "1G", "--expires", "90d");

    ServerCliRun undone =
        set("--sessions", "all", "--rooms", "all", "--quota", "default", "--expires", "never");

    assertThat(undone.exit()).isZero();
    assertThat(file()).doesNotContain("permissions");
  }

  @Test
  void anExpiryIsADurationFromNowOrAnInstant() throws IOException {
    Instant before = Instant.now().plusSeconds(3600).minusSeconds(2);
    set("--expires", "1h");
    String line = file().lines().filter(l -> l.startsWith("permissions")).findFirst().orElseThrow();
    Instant expires = Instant.parse(line.substring(line.indexOf("expires=") + 8));
    assertThat(expires).isBetween(before, Instant.now().plusSeconds(3601));

    set("--expires", "2027-01-01T00:00:00Z");
    assertThat(file()).contains("expires=2027-01-01T00:00:00Z");
  }

  @Test
  void everyChangeIsAuditedWithTheOperator() throws IOException {
    set("--sessions", "upload", "--quota", "10M");

    String audit = Files.readString(dir.resolve("audit.jsonl"));
    assertThat(audit)
        .contains(
            "\"event\":\"keys.permissions\",\"client_id\":\"sensor-1\",\"sessions\":\"upload\"")
        .contains("\"quota\":10485760")
        .contains("\"operator\":\"" + System.getProperty("user.name") + "\"");
  }

  @Test
  void badValuesAreUsageErrorsThatChangeNothing() throws IOException {
    String before = file();

    assertThat(set().err()).startsWith("auth-server: nothing to set: give --sessions");
    assertThat(set("--sessions", "ftp").exit()).isEqualTo(2);
    assertThat(set("--sessions", "ftp").err()).contains("'ftp' is not a session kind");
    assertThat(set("--rooms", "a b").err()).contains("room pattern 'a b' must be a room name");
    assertThat(set("--quota", "lots").err()).contains("--quota: 'lots' is not a size");
    assertThat(set("--expires", "soon").err()).contains("--expires 'soon' is neither");
    assertThat(file()).isEqualTo(before);
    assertThat(dir.resolve("audit.jsonl")).doesNotExist();
  }

  @Test
  void rotateEveryAsksTheClientToRotateItsOwnKey_defaultHandsItBackToTheServer()
      throws IOException {
    ServerCliRun set = set("--rotate-every", "30d");

    assertThat(set.exit()).as(set.err()).isZero();
    assertThat(set.err()).contains("rotates its key every 30d");
    assertThat(file()).contains("rotate-every PT720H\n");
    assertThat(Files.readString(dir.resolve("audit.jsonl")))
        .contains("\"rotate_every\":\"PT720H\"");

    assertThat(set("--rotate-every", "default").exit()).isZero();
    assertThat(file()).doesNotContain("rotate-every");
    assertThat(set("--rotate-every", "0s").err()).contains("--rotate-every '0s': must be positive");
    assertThat(set("--rotate-every", "often").exit()).isEqualTo(2);

    // A machine that cannot rotate (a library with no credential file) is exempted from the
    // server's --rotate-every, and from its --rotate-deadline with it.
    ServerCliRun never = set("--rotate-every", "never");
    assertThat(never.exit()).as(never.err()).isZero();
    assertThat(never.err()).contains("never asked to rotate its key");
    assertThat(file()).contains("rotate-every never\n");
    assertThat(Files.readString(dir.resolve("audit.jsonl"))).contains("\"rotate_every\":\"never\"");
  }

  @Test
  void keysListSaysExpiredForAClientPastItsExpiry_withTheTimeItStopped() throws IOException {
    set("--expires", "2020-01-01T00:00:00Z");

    ServerCliRun list = server("keys", "list", "--keys", keys().toString(), "--json");

    assertThat(list.out()).contains("\"state\":\"expired\"").contains("2020-01-01T00:00:00Z");
  }

  @Test
  void unlockLiftsALockAndIsAudited_aClientNotLockedIsToldSo() throws IOException {
    Path file = keys().resolve("sensor-1.keys");
    String text = Files.readString(file);
    Files.writeString(
        file,
        text.replace("client-id sensor-1\n", "client-id sensor-1\nlocked 2026-12-07T10:00:00Z\n"));
    assertThat(server("keys", "list", "--keys", keys().toString()).out()).contains("locked");

    ServerCliRun unlock =
        server(
            "keys",
            "unlock",
            "sensor-1",
            "--keys",
            keys().toString(),
            "--audit-log",
            dir.resolve("audit.jsonl").toString());

    assertThat(unlock.exit()).as(unlock.err()).isZero();
    assertThat(unlock.err()).startsWith("unlocked client 'sensor-1'");
    assertThat(file()).doesNotContain("locked");
    assertThat(Files.readString(dir.resolve("audit.jsonl")))
        .contains("\"event\":\"keys.unlocked\",\"client_id\":\"sensor-1\"");
    ServerCliRun again =
        server(
            "keys",
            "unlock",
            "sensor-1",
            "--keys",
            keys().toString(),
            "--audit-log",
            dir.resolve("audit.jsonl").toString());
    assertThat(again.err()).contains("was not locked; nothing changed");
  }

  @Test
  void anUnknownClientIsAnErrorNamingIt() {
    ServerCliRun run =
        server(
            "keys",
            "set",
            "ghost",
            "--keys",
            keys().toString(),
            "--quota",
            "1M",
            "--audit-log",
            dir.resolve("audit.jsonl").toString());

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).contains("no client 'ghost'");
  }
}
