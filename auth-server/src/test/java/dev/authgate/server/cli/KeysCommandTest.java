package dev.authgate.server.cli;

import static dev.authgate.server.cli.ServerCliRun.server;
import static org.assertj.core.api.Assertions.assertThat;

import dev.authgate.protocol.keyfile.Credential;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeysCommandTest {
  @TempDir Path dir;

  private Path keys() {
    return dir.resolve("keys");
  }

  private ServerCliRun add(String id) {
    return server(
        "keys",
        "add",
        id,
        "--keys",
        keys().toString(),
        "--out",
        dir.resolve(id + ".credential").toString());
  }

  @Test
  void addWritesPrivateVerifiersAndAPrivateCredential() throws IOException {
    ServerCliRun run = add("sensor-1");

    assertThat(run.exit()).isZero();
    assertThat(run.err()).contains("provisioned client 'sensor-1' key k1 (SHA256:");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keys())))
        .isEqualTo("rwx------");
    assertThat(
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(keys().resolve("sensor-1.keys"))))
        .isEqualTo("rw-------");
    Path credential = dir.resolve("sensor-1.credential");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(credential)))
        .isEqualTo("rw-------");
    assertThat(Credential.load(credential).clientId()).isEqualTo("sensor-1");
    try (var files = Files.list(keys())) {
      // and the keystore's lock file, which every change takes
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("sensor-1.keys", ".lock", "host.key");
    }
  }

  @Test
  void addToStdoutPrintsOnlyTheCredential() {
    ServerCliRun run = server("keys", "add", "printer", "--keys", keys().toString(), "--out", "-");

    assertThat(run.exit()).isZero();
    assertThat(run.out()).startsWith("# authgate client credential").contains("secret ");
  }

  @Test
  void addingAnExistingIdIsOneClearLine() {
    add("sensor-1");
    ServerCliRun again =
        server(
            "keys",
            "add",
            "sensor-1",
            "--keys",
            keys().toString(),
            "--out",
            dir.resolve("other.credential").toString());

    assertThat(again.exit()).isEqualTo(1);
    assertThat(again.err())
        .isEqualTo(
            "auth-server: client 'sensor-1' already exists in "
                + keys()
                + "; give it a new key with 'keys rotate sensor-1', or choose another id\n");
    assertThat(dir.resolve("other.credential")).doesNotExist();
  }

  @Test
  void addRefusesToOverwriteACredentialFile() throws IOException {
    Files.writeString(dir.resolve("sensor-1.credential"), "precious");
    ServerCliRun run = add("sensor-1");

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).contains("already exists");
    assertThat(Files.readString(dir.resolve("sensor-1.credential"))).isEqualTo("precious");
    assertThat(keys().resolve("sensor-1.keys")).doesNotExist();
  }

  @Test
  void dotDotAndAnyLeadingDotAreRefusedAsIds() {
    for (String id : List.of(".", "..", ".x", ".hidden-sensor")) {
      ServerCliRun run = add(id);

      assertThat(run.exit()).as(id).isEqualTo(2);
      assertThat(run.err())
          .contains("invalid client id '" + id + "'")
          .contains("not starting with '.'");
    }
    assertThat(keys())
        .satisfiesAnyOf(k -> assertThat(k).doesNotExist(), k -> assertThat(k).isEmptyDirectory());
  }

  @Test
  void anInvalidIdIsAUsageErrorNamingTheRule() {
    ServerCliRun run = add("../etc");

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).contains("invalid client id '../etc'").contains("A-Z a-z 0-9 . _ -");
    assertThat(dir.resolve("etc.keys")).doesNotExist();
  }

  @Test
  void listShowsFingerprintsAndStatesButNoKeyMaterial() throws IOException {
    add("sensor-1");
    add("sensor-2");
    server("keys", "revoke", "sensor-2", "--keys", keys().toString());

    ServerCliRun run = server("keys", "list", "--keys", keys().toString());

    assertThat(run.exit()).isZero();
    assertThat(run.out())
        .containsPattern("sensor-1 +k1 +active +\\d{4}-\\d\\d-\\d\\d +- +all +SHA256:")
        .containsPattern("sensor-2 +k1 +revoked");
    String keyFile = Files.readString(keys().resolve("sensor-1.keys"));
    String storedKey = keyFile.replaceAll("(?s).*stored-key=(\\S+).*", "$1");
    assertThat(run.out()).doesNotContain(storedKey);
  }

  @Test
  void rootAtAKeystoreThatBelongsToTheServiceChangesNothing_andIsToldToRunAsThatUser()
      throws IOException {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        "root".equals(System.getProperty("user.name")), "only root can give a directory away");
    add("sensor-1");
    Files.setAttribute(keys(), "unix:uid", 65534);
    String owner = Files.getOwner(keys()).getName();

    ServerCliRun run = server("keys", "add", "sensor-2", "--keys", keys().toString(), "--out", "-");

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err())
        .contains("belongs to " + owner + " (uid 65534), the server's user")
        .contains("runuser -u " + owner + " -- auth-server")
        .doesNotContain("chown");
    assertThat(keys().resolve("sensor-2.keys")).doesNotExist();
  }

  @Test
  void theDefaultTableFitsOneHundredColumns_andLongShowsWholeValues() throws IOException {
    String id = "build-agent-eu-west-1-r12n7"; // 26 characters
    add(id);
    server("keys", "rotate", id, "--keys", keys().toString(), "--out", "-", "--grace", "2h");
    server(
        "keys",
        "set",
        id,
        "--rooms",
        "ops,sensors-*",
        "--quota",
        "2G",
        "--keys",
        keys().toString());

    List<String> lines = server("keys", "list", "--keys", keys().toString()).out().lines().toList();
    assertThat(lines).hasSize(3).allMatch(l -> l.length() <= 100, "at most 100 columns");
    assertThat(lines.get(1)).contains(" limited ").containsPattern(" SHA256:\\S{12}$");

    List<String> wide =
        server("keys", "list", "--long", "--keys", keys().toString()).out().lines().toList();
    assertThat(wide.get(1))
        .containsPattern("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ")
        .contains("rooms=ops,sensors-* quota=2GiB")
        .containsPattern(" SHA256:\\S{43}$");
  }

  @Test
  void listColumnsAreAsWideAsTheirWidestCellAndJsonListsTheSame() throws IOException {
    String longId = "build-agent-eu-west-1-rack-12-node-07";
    add("s1");
    add(longId);

    java.util.List<String> lines =
        server("keys", "list", "--keys", keys().toString()).out().lines().toList();
    assertThat(lines).hasSize(3);
    int keyColumn = lines.get(0).indexOf("KEY");
    assertThat(keyColumn).isEqualTo(longId.length() + 2);
    assertThat(lines.get(1).indexOf("k1")).isEqualTo(keyColumn);
    assertThat(lines.get(2).indexOf("k1")).isEqualTo(keyColumn);

    ServerCliRun json = server("keys", "list", "--keys", keys().toString(), "--json");
    assertThat(json.exit()).isZero();
    com.fasterxml.jackson.databind.JsonNode keys =
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.out());
    assertThat(keys.findValuesAsText("client_id")).containsExactly(longId, "s1");
    assertThat(keys.get(0).path("state").asText()).isEqualTo("active");
    assertThat(keys.get(0).path("until").isNull()).isTrue();
    assertThat(keys.get(0).path("fingerprint").asText()).startsWith("SHA256:");
  }

  @Test
  void listReportsAKeyFileReadableByOthersWithTheChmodThatFixesIt() throws IOException {
    add("sensor-1");
    add("sensor-2");
    Path open = keys().resolve("sensor-2.keys");
    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-r--r--"));

    ServerCliRun run = server("keys", "list", "--keys", keys().toString());

    assertThat(run.out()).contains("sensor-1").doesNotContain("sensor-2 ");
    assertThat(run.err())
        .isEqualTo(
            "auth-server: skipped "
                + open
                + " is accessible by group or others (mode 0644); run: chmod 600 "
                + open
                + "\n");
  }

  @Test
  void rotateAddsANewKeyAndGivesTheOldOneAGracePeriod() throws IOException {
    add("sensor-1");
    Path fresh = dir.resolve("sensor-1-new.credential");

    ServerCliRun run =
        server(
            "keys",
            "rotate",
            "sensor-1",
            "--keys",
            keys().toString(),
            "--out",
            fresh.toString(),
            "--grace",
            "2h");

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.err()).contains("new key k2").contains("older keys work until");
    assertThat(Credential.load(fresh).keyId()).isEqualTo("k2");
    String list = server("keys", "list", "--keys", keys().toString()).out();
    assertThat(list)
        .containsPattern(
            "sensor-1 +k1 +active +\\S+ +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d +all +SHA256:")
        .containsPattern("sensor-1 +k2 +active +\\S+ +- +all +SHA256:");
  }

  @Test
  void rotateRefusesToOverwriteACredentialAndChangesNothing() throws IOException {
    add("sensor-1");
    String before = Files.readString(keys().resolve("sensor-1.keys"));

    ServerCliRun run =
        server(
            "keys",
            "rotate",
            "sensor-1",
            "--keys",
            keys().toString(),
            "--out",
            dir.resolve("sensor-1.credential").toString());

    assertThat(run.exit()).isEqualTo(1);
    assertThat(Files.readString(keys().resolve("sensor-1.keys"))).isEqualTo(before);
  }

  @Test
  void revokingAnUnknownClientIsOneClearLine() {
    add("sensor-1");
    ServerCliRun run = server("keys", "revoke", "ghost", "--keys", keys().toString());

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).isEqualTo("auth-server: no client 'ghost' in " + keys() + "\n");
  }

  @Test
  void aMissingKeystoreDirectoryIsOneClearLine() {
    ServerCliRun run = server("keys", "list", "--keys", dir.resolve("absent").toString());

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err())
        .startsWith("auth-server: keystore directory " + dir.resolve("absent") + " does not exist")
        .doesNotContain("\tat ");
  }

  @Test
  void everyKeysChangeIsAuditedWithTheOperatorsNameAndUid() throws IOException {
    Path audit = dir.resolve("audit.jsonl");
    String log = audit.toString();
    String k = keys().toString();
    assertThat(server("keys", "add", "m1", "--keys", k, "--out", "-", "--audit-log", log).exit())
        .isZero();
    assertThat(server("keys", "rotate", "m1", "--keys", k, "--out", "-", "--audit-log", log).exit())
        .isZero();
    assertThat(server("keys", "revoke", "m1", "--keys", k, "--audit-log", log).exit()).isZero();

    // (the first add also gave the server its host key, audited first)
    assertThat(Files.readAllLines(audit).getFirst())
        .contains("\"event\":\"keys.host_key_created\"");
    List<String> lines = Files.readAllLines(audit).subList(1, 4);
    assertThat(Files.readAllLines(audit)).hasSize(4);
    assertThat(lines.get(0))
        .contains("\"event\":\"keys.added\",\"client_id\":\"m1\",\"key_id\":\"k1\"");
    assertThat(lines.get(1))
        .contains("\"event\":\"keys.rotated\",\"client_id\":\"m1\",\"key_id\":\"k2\"");
    assertThat(lines.get(2)).contains("\"event\":\"keys.revoked\",\"client_id\":\"m1\"");
    String uid = String.valueOf(new com.sun.security.auth.module.UnixSystem().getUid());
    assertThat(lines)
        .allMatch(
            l ->
                l.contains("\"operator\":\"" + System.getProperty("user.name") + "\"")
                    && l.contains("\"operator_uid\":" + uid));
  }

  @Test
  void theServersConfigFileNamesTheAuditLogAndKeystoreForKeysCommands() throws IOException {
    Path config = dir.resolve("authgate.properties");
    Files.writeString(
        config,
        "keys=" + keys() + "\naudit-log=" + dir.resolve("server-audit.jsonl") + "\nport=7350\n");

    ServerCliRun run = server("keys", "add", "m2", "--out", "-", "--config", config.toString());

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(keys().resolve("m2.keys")).exists();
    assertThat(Files.readString(dir.resolve("server-audit.jsonl")))
        .contains("\"event\":\"keys.added\",\"client_id\":\"m2\"");
  }

  @Test
  void aChangeWhoseAuditLineCannotBeWrittenDoesNotHappen() throws IOException {
    String k = keys().toString();
    assertThat(server("keys", "add", "m1", "--keys", k, "--out", "-").exit()).isZero();
    String before = Files.readString(keys().resolve("m1.keys"));

    for (List<String> args :
        List.of(
            List.of("keys", "revoke", "m1"),
            List.of("keys", "rotate", "m1", "--out", "-"),
            List.of("keys", "set", "m1", "--sessions", "ping"),
            List.of("keys", "add", "m2", "--out", "-"),
            List.of("keys", "token", "create", "--uses", "1"))) {
      java.util.List<String> all = new java.util.ArrayList<>(args);
      all.addAll(List.of("--keys", k, "--audit-log", "/dev/full"));
      ServerCliRun run = server(all.toArray(String[]::new));

      assertThat(run.exit()).as(String.join(" ", args)).isEqualTo(1);
      assertThat(run.err())
          .as(String.join(" ", args))
          .contains("cannot write audit log /dev/full")
          .contains("nothing was changed");
      assertThat(run.out()).as("no credential or token was handed out").isEmpty();
    }
    assertThat(Files.readString(keys().resolve("m1.keys"))).isEqualTo(before);
    assertThat(keys().resolve("m2.keys")).doesNotExist();
    assertThat(keys().resolve("tokens"))
        .satisfiesAnyOf(t -> assertThat(t).doesNotExist(), t -> assertThat(t).isEmptyDirectory());
  }

  @Test
  void theServersOwnSettingsInItsConfigNeverBecomeAKeysCommandsOptions() throws IOException {
    Path config = dir.resolve("authgate.properties");
    Files.writeString(
        config,
        "keys="
            + keys()
            + "\naudit-log="
            + dir.resolve("a.jsonl")
            + "\nquota=50G\nmax-file-size=1G\n");
    assertThat(server("keys", "add", "m3", "--out", "-", "--config", config.toString()).exit())
        .isZero();

    ServerCliRun set = server("keys", "set", "m3", "--rooms", "ops", "--config", config.toString());

    assertThat(set.exit()).as(set.err()).isZero();
    assertThat(Files.readString(keys().resolve("m3.keys"))).doesNotContain("quota=");
    assertThat(set.err()).contains("quota the server's");
    assertThat(server("keys", "set", "m3", "--config", config.toString()).exit())
        .as("nothing to set is still a usage error")
        .isEqualTo(2);
  }

  @Test
  void initMakesTheHostKeyOnce_hostKeyAndAddShowItsFingerprint() throws IOException {
    String k = keys().toString();
    ServerCliRun init = server("keys", "init", "--keys", k);
    assertThat(init.exit()).as(init.err()).isZero();
    String fingerprint = init.out().strip();
    assertThat(fingerprint).matches("SHA256:[A-Za-z0-9+/]{43}");
    assertThat(init.err()).startsWith("made the host key ");

    ServerCliRun again = server("keys", "init", "--keys", k);
    assertThat(again.out().strip()).isEqualTo(fingerprint);
    assertThat(again.err()).startsWith("the host key is already ");
    assertThat(server("keys", "host-key", "--keys", k).out().strip()).isEqualTo(fingerprint);
    assertThat(add("sensor-9").err()).contains("the server's host key is " + fingerprint + "\n");
  }

  @Test
  void hostKeyWithoutOneSaysHowToMakeIt() {
    ServerCliRun run = server("keys", "host-key", "--keys", keys().toString());
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).contains("keys init");
  }
}
