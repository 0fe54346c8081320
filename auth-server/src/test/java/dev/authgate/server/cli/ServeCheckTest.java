package dev.authgate.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code serve --check} and {@code serve --print-config}: a mistake found before a restart. */
class ServeCheckTest {
  @TempDir Path dir;

  record Run(int exit, String out, String err) {}

  private Run run(Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit =
        AuthServerCommand.run(
            args,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            env);
    return new Run(
        exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private String keys() throws IOException {
    Path keys = dir.resolve("keys");
    if (!Files.exists(keys)) {
      assertThat(
              run(
                      Map.of(),
                      "keys",
                      "add",
                      "sensor-1",
                      "--keys",
                      keys.toString(),
                      "--out",
                      "-",
                      "--audit-log",
                      dir.resolve("keys-audit.jsonl").toString())
                  .exit())
          .isZero();
    }
    return keys.toString();
  }

  private String[] serve(String... extra) throws IOException {
    List<String> args =
        new ArrayList<>(
            List.of(
                "serve",
                "--keys",
                keys(),
                "--audit-log",
                dir.resolve("logs/audit.jsonl").toString(),
                "--uploads",
                dir.resolve("uploads").toString()));
    args.addAll(List.of(extra));
    return args.toArray(String[]::new);
  }

  @Test
  void aGoodConfigurationIsOkAndSaysWhatAStartWouldUse_withoutListening() throws IOException {
    Run check = run(Map.of(), serve("--check", "--port", "1"));

    assertThat(check.exit()).as(check.err()).isZero();
    assertThat(check.out())
        .contains("keystore " + keys() + ": 1 client, 1 key\n")
        .containsPattern("host key SHA256:[A-Za-z0-9+/]{43} \\(")
        .endsWith("configuration OK\n");
    assertThat(check.err()).isEmpty();
    assertThat(dir.resolve("logs/audit.jsonl")).doesNotExist();
  }

  @Test
  void eachProblemIsOneLineAndTheExitIsOne() throws IOException {
    Path notADirectory = Files.writeString(dir.resolve("plain-file"), "x");

    Run check =
        run(
            Map.of(),
            "serve",
            "-t",
            "--keys",
            dir.resolve("missing-keys").toString(),
            "--audit-log",
            notADirectory.resolve("audit.jsonl").toString(),
            "--uploads",
            dir.resolve("uploads").toString());

    assertThat(check.exit()).isEqualTo(1);
    assertThat(check.err().lines().toList())
        .hasSize(2)
        .anyMatch(
            l -> l.startsWith("auth-server: keystore directory " + dir.resolve("missing-keys")))
        .anyMatch(
            l ->
                l.equals(
                    "auth-server: audit log "
                        + notADirectory.resolve("audit.jsonl")
                        + ": "
                        + notADirectory
                        + " is a file, not a directory"));
    assertThat(check.out()).doesNotContain("configuration OK");
  }

  @Test
  void theAdminPortOffLoopbackNeedsTls_andATlsFileIsCheckedBeforeAStart() throws IOException {
    Run open = run(Map.of(), serve("--check", "--admin", "0.0.0.0:9351"));
    assertThat(open.exit()).isEqualTo(2);
    assertThat(open.err()).contains("is not a loopback address", "--admin-tls");
    Run tlsAlone = run(Map.of(), serve("--check", "--admin-tls", "x.pem"));
    assertThat(tlsAlone.exit()).isEqualTo(2);
    assertThat(tlsAlone.err()).contains("--admin-tls needs --admin");
    Run bare = run(Map.of(), serve("--check", "--admin", "9351"));
    assertThat(bare.exit()).as(bare.err()).isZero();
    Path pem = Files.writeString(dir.resolve("admin.pem"), "not a certificate\n");
    Files.setPosixFilePermissions(
        pem, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    Run broken =
        run(Map.of(), serve("--check", "--admin", "0.0.0.0:9351", "--admin-tls", pem.toString()));
    assertThat(broken.exit()).isEqualTo(1);
    assertThat(broken.err()).contains("admin.pem cannot be used");
  }

  @Test
  void aBadSettingIsStillAUsageError() throws IOException {
    Path config = Files.writeString(dir.resolve("bad.properties"), "prot=7350\n");

    Run check = run(Map.of(), serve("--check", "--config", config.toString()));

    assertThat(check.exit()).isEqualTo(2);
    assertThat(check.err()).contains("unknown setting 'prot'");
  }

  @Test
  void printConfigShowsTheValueFromWhereverItCame_andReadsBackTheSame() throws IOException {
    Path config =
        Files.writeString(dir.resolve("a.properties"), "idle-timeout=7m\nmax-sessions=99\n");

    Run printed =
        run(
            Map.of("AUTHGATE_MAX_SESSIONS", "123"),
            serve("-T", "--config", config.toString(), "--port", "7411"));

    assertThat(printed.exit()).as(printed.err()).isZero();
    List<String> lines = printed.out().lines().toList();
    assertThat(lines)
        .contains("port=7411") // the command line
        .contains("max-sessions=123") // the environment, over the file
        .contains("idle-timeout=7m") // the file
        .contains("handshake-timeout=10s") // the default
        .contains("proxy-protocol=false")
        .contains("# metrics=")
        .doesNotContain("check=true", "print-config=true");
    assertThat(lines.stream().map(l -> l.replaceFirst("^# ", "").replaceFirst("=.*", "")).toList())
        .isSorted();
    assertThat(lines).allMatch(l -> l.matches("(# )?[a-z0-9-]+=.*"));

    assertThat(ServeCheck.withoutSecrets("redis://:s3cret@10.0.0.20:6379/0"))
        .isEqualTo("redis://***@10.0.0.20:6379/0");
    assertThat(ServeCheck.withoutSecrets("https://hooks.example/x"))
        .isEqualTo("https://hooks.example/x");
    assertThat(ServeCheck.withoutSecrets("rediss://user:pw@10.0.0.20/0"))
        .isEqualTo("rediss://***@10.0.0.20/0");
    // An @ in a query is not a user: the host stays visible.
    assertThat(ServeCheck.withoutSecrets("https://h.example?to=ops@x.com"))
        .isEqualTo("https://h.example?to=ops@x.com");
    // A webhook's token can only be in its path or query; a hook's in its arguments.
    assertThat(ServeCheck.shown("on-upload-url", "https://hooks.example/T0/B1/s3cret?x=1"))
        .isEqualTo("https://hooks.example/***");
    assertThat(ServeCheck.shown("on-upload", "/usr/local/bin/notify --token=s3cret"))
        .isEqualTo("/usr/local/bin/notify ***");
    assertThat(ServeCheck.shown("on-upload", "/usr/local/bin/ingest"))
        .isEqualTo("/usr/local/bin/ingest");

    Path effective = Files.writeString(dir.resolve("effective.properties"), printed.out());
    Run again = run(Map.of(), "serve", "-T", "--config", effective.toString());
    assertThat(again.exit()).as(again.err()).isZero();
    assertThat(again.out()).isEqualTo(printed.out());
  }
}
