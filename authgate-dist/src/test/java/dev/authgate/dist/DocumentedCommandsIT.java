package dev.authgate.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every command that README.md and docs/OPERATIONS.md show, run as written from the unpacked
 * release (the copies of those files inside the tarball), in the order a reader follows them, with
 * its exit code and output checked.
 *
 * <p>"As written" allows only this: paths under {@code /opt}, {@code /etc}, {@code /usr} and {@code
 * /var} move into a temporary directory; the server binds loopback and a free port instead of
 * {@code 0.0.0.0:7350}, and client commands get its real address for {@code host:7350}; {@code
 * runuser -u authgate} runs as {@code nobody} (there is no authgate user here); a synopsis ({@code
 * [--json]}, {@code FILE...}) runs in concrete forms. Steps a reader does between commands (make
 * the files to upload, delete a credential after copying it, start a second chat member to see a
 * message arrive) are the test's own. A command in a fenced block that this test neither runs nor
 * names in {@link #NOT_RUN_HERE} fails it: the docs cannot grow a command nobody tried.
 */
class DocumentedCommandsIT {
  /** A line in a fenced block that is a command to type, not output or a comment. */
  private static final Pattern COMMAND =
      Pattern.compile(
          "^(bin/|/opt/|\\./mvnw |tar |useradd |install |systemctl |ln |cd |echo |tail )");

  /** Documented commands that cannot run in a test, and why. */
  private static final Map<String, String> NOT_RUN_HERE =
      Map.of(
          "./mvnw -B verify",
          "this test is part of that command",
          "./mvnw -B test",
          "the unit tier of the build this test runs in: verify runs it first",
          "useradd --system --home-dir /var/lib/authgate --shell /usr/sbin/nologin authgate",
          "would add a user to the machine running the tests; runuser below uses nobody",
          "install -d -o authgate -g authgate -m 0700 /var/lib/authgate /var/lib/authgate/keys",
          "needs the authgate user; the runuser step makes the same directory for nobody",
          "systemctl daemon-reload && systemctl enable --now authgate",
          "no systemd here; SystemdUnitTest checks the unit offline (systemd-analyze verify and"
              + " security)");

  @TempDir Path dir;
  private final List<Process> background = new ArrayList<>();
  private Path tarball;
  private String version;

  private record Run(int exit, String out, String err) {
    String all() {
      return out + err;
    }
  }

  @AfterEach
  void stopBackgroundProcesses() throws InterruptedException {
    for (Process process : background) {
      process.descendants().forEach(ProcessHandle::destroy);
      process.destroy();
    }
    for (Process process : background) {
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void everyCommandTheReadmeShowsRunsAsWritten() throws Exception {
    Path root = unpack("readme");
    Map<String, Step> steps = new LinkedHashMap<>();
    String[] address = new String[1];
    steps.put(
        "bin/demo",
        documented -> {
          // The release's own demo: it ships with the launchers, which never build.
          Run demo = sh(root, documented, "", Duration.ofMinutes(5));
          assertThat(demo.exit()).as(demo.all()).isZero();
          assertThat(demo.out()).contains("demo OK");
        });
    steps.put(
        "bin/auth-server keys add sensor-1 --out sensor-1.credential",
        documented -> {
          Run add = sh(root, documented);
          assertThat(add.exit()).as(add.all()).isZero();
          assertThat(add.err()).startsWith("provisioned client 'sensor-1' key k1 (SHA256:");
          assertThat(Files.getPosixFilePermissions(root.resolve("sensor-1.credential")))
              .isEqualTo(PosixFilePermissions.fromString("rw-------"));
          provision(root, root, "watcher");
        });
    steps.put(
        "bin/auth-server serve --bind 0.0.0.0 --port 7350",
        documented -> address[0] = serve(root, documented));
    steps.put(
        "bin/auth-client ping --server 127.0.0.1:7350 --key sensor-1.credential",
        documented -> {
          Run ping = sh(root, documented.replace("127.0.0.1:7350", address[0]));
          assertThat(ping.exit()).as(ping.all()).isZero();
          assertThat(ping.out())
              .startsWith("verified server '")
              .contains(" at " + address[0] + " as sensor-1 (key k1): handshake ");
        });
    steps.put(
        "bin/auth-client upload --server 127.0.0.1:7350 --key sensor-1.credential build.log"
            + " backup.tar",
        documented -> {
          Files.writeString(root.resolve("build.log"), "compiled 42 files\n".repeat(1000));
          writeRandom(root.resolve("backup.tar"), 3 << 20);
          Run upload = sh(root, documented.replace("127.0.0.1:7350", address[0]));
          assertThat(upload.exit()).as(upload.all()).isZero();
          assertThat(upload.out()).contains("stored build.log: 18000 bytes, sha256 ");
          assertThat(upload.out()).contains("stored backup.tar: 3145728 bytes, sha256 ");
          for (String name : List.of("build.log", "backup.tar")) {
            assertThat(root.resolve("uploads/sensor-1/" + name))
                .hasSameBinaryContentAs(root.resolve(name));
          }
        });
    steps.put(
        "bin/auth-client chat --server 127.0.0.1:7350 --key sensor-1.credential --room ops",
        documented -> {
          Member watcher = member(root, address[0], "watcher.credential", "ops");
          Run chat =
              sh(
                  root,
                  documented.replace("127.0.0.1:7350", address[0]),
                  "hello from a person\n",
                  Duration.ofMinutes(2));
          assertThat(chat.exit()).as(chat.all()).isZero();
          assertThat(watcher.await("hello from a person")).contains("\"from\":\"sensor-1\"");
        });
    steps.put(
        "echo \"backup done\" | bin/auth-client chat --server 127.0.0.1:7350 --key"
            + " sensor-1.credential --json",
        documented -> {
          Member watcher = member(root, address[0], "watcher.credential", "lobby");
          Run chat = sh(root, documented.replace("127.0.0.1:7350", address[0]));
          assertThat(chat.exit()).as(chat.all()).isZero();
          assertThat(chat.out().lines()).allMatch(line -> line.startsWith("{\"type\":\""));
          assertThat(watcher.await("backup done"))
              .contains("\"type\":\"message\",\"room\":\"lobby\",\"from\":\"sensor-1\"");
        });
    steps.put(
        "tail logs/audit.jsonl",
        documented -> {
          Run tail = sh(root, documented);
          assertThat(tail.exit()).isZero();
          assertThat(tail.out()).contains("\"event\":\"session.closed\"");
        });
    steps.put(
        "bin/auth-server audit --since 1h",
        documented -> {
          Run audit = sh(root, documented);
          assertThat(audit.exit()).as(audit.all()).isZero();
          assertThat(audit.out())
              .matches(
                  "(?s)logs/audit\\.jsonl \\(1 file\\) since \\S+Z: \\d+ accepted, 0 rejected\n.*");
        });

    runAll(root.resolve("README.md"), steps);
  }

  @Test
  void everyCommandTheOperationsGuideShowsRunsAsWritten() throws Exception {
    tarball = Path.of(System.getProperty("authgate.tarball"));
    version = tarball.getFileName().toString().replaceAll("^authgate-|\\.tar\\.gz$", "");
    for (String existing : List.of("opt", "usr/local/bin", "etc/systemd/system", "var/log")) {
      Files.createDirectories(dir.resolve(existing));
    }
    Path root = dir.resolve("opt/authgate");
    // Read from a copy of the release: the first step is the one that unpacks it into /opt.
    Path manual = unpack("docs").resolve("docs/OPERATIONS.md");
    Map<String, Step> steps = new LinkedHashMap<>();
    String[] address = new String[1];
    steps.put(
        "tar -xzf authgate-VERSION.tar.gz -C /opt && ln -sfn /opt/authgate-VERSION /opt/authgate",
        documented -> {
          Run unpack =
              sh(
                  dir,
                  moved(documented)
                      .replace("VERSION", version)
                      .replace("authgate-" + version + ".tar.gz", tarball.toString()));
          assertThat(unpack.exit()).as(unpack.all()).isZero();
          assertThat(root.resolve("bin/auth-server")).isExecutable();
        });
    steps.put(
        "install -D -m 0644 /opt/authgate/contrib/authgate.properties"
            + " /etc/authgate/authgate.properties",
        documented -> {
          assertThat(sh(dir, moved(documented)).exit()).isZero();
          assertThat(dir.resolve("etc/authgate/authgate.properties"))
              .hasSameTextualContentAs(root.resolve("contrib/authgate.properties"));
        });
    steps.put(
        "install -m 0644 /opt/authgate/contrib/systemd/authgate.service /etc/systemd/system/",
        documented -> {
          assertThat(sh(dir, moved(documented)).exit()).isZero();
          assertThat(dir.resolve("etc/systemd/system/authgate.service")).isRegularFile();
        });
    steps.put(
        "/opt/authgate/bin/auth-server --version",
        documented -> {
          Run v = sh(dir, moved(documented));
          assertThat(v.exit()).isZero();
          assertThat(v.out()).startsWith("authgate " + version + " (commit ").contains("Java ");
        });
    steps.put(
        "ln -sfn /opt/authgate/bin/auth-server /opt/authgate/bin/auth-client /usr/local/bin/",
        documented -> {
          assertThat(sh(dir, moved(documented)).exit()).isZero();
          Run v = sh(dir, dir.resolve("usr/local/bin/auth-client") + " --version");
          assertThat(v.exit()).as(v.all()).isZero();
          assertThat(v.out()).startsWith("authgate " + version);
        });
    steps.put(
        "install -D -m 0644 -t /usr/local/share/man/man1 /opt/authgate/man/man1/*.1",
        documented -> {
          assertThat(sh(dir, moved(documented)).exit()).isZero();
          assertThat(dir.resolve("usr/local/share/man/man1/auth-server-serve.1")).isRegularFile();
        });
    steps.put(
        "install -D -m 0644 -t /usr/share/bash-completion/completions"
            + " /opt/authgate/completion/auth-server /opt/authgate/completion/auth-client",
        documented -> {
          assertThat(sh(dir, moved(documented)).exit()).isZero();
          assertThat(dir.resolve("usr/share/bash-completion/completions/auth-client"))
              .isRegularFile();
        });
    steps.put(
        "cd /var/lib/authgate && runuser -u authgate -- /opt/authgate/bin/auth-server keys add"
            + " sensor-1 --keys keys --out -",
        documented -> {
          if (!"root".equals(System.getProperty("user.name"))
              || sh(dir, "command -v runuser").exit() != 0) {
            System.err.println(
                "DocumentedCommandsIT: not run (needs root and runuser): " + documented);
            return;
          }
          // The service user's home, as `install -d -o authgate` makes it, for nobody.
          Path home = Files.createDirectories(dir.resolve("var/lib/authgate"));
          UserPrincipal nobody =
              home.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
          Files.setOwner(home, nobody);
          for (Path open : List.of(dir, dir.resolve("var"), dir.resolve("var/lib"))) {
            Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxr-xr-x"));
          }
          Run add = sh(dir, moved(documented).replace("runuser -u authgate", "runuser -u nobody"));
          assertThat(add.exit()).as(add.all()).isZero();
          assertThat(add.out()).contains("client-id sensor-1").contains("\nsecret ");
          assertThat(Files.getOwner(home.resolve("keys/sensor-1.keys"))).isEqualTo(nobody);
          // what the operator carries to the machine: the publishing steps fetch with it
          Files.writeString(
              Files.createFile(
                  dir.resolve("service-sensor-1.credential"),
                  PosixFilePermissions.asFileAttribute(
                      PosixFilePermissions.fromString("rw-------"))),
              add.out());
        });
    steps.put(
        "bin/auth-server keys add sensor-1 --keys keys --out sensor-1.credential",
        documented -> {
          Run add = sh(root, documented);
          assertThat(add.exit()).as(add.all()).isZero();
          assertThat(root.resolve("keys/sensor-1.keys")).isRegularFile();
          provision(root, root, "watcher");
          provision(root, root, "s");
        });
    steps.put(
        "bin/auth-server keys init --keys keys",
        documented -> {
          Run init = sh(root, documented);
          assertThat(init.exit()).as(init.all()).isZero();
          assertThat(init.out().strip()).matches("SHA256:[A-Za-z0-9+/]{43}");
          assertThat(sh(root, "bin/auth-server keys host-key --keys keys").out().strip())
              .isEqualTo(init.out().strip());
          assertThat(root.resolve("keys/host.key")).isRegularFile();
        });
    String[] hostKeys = new String[2];
    steps.put(
        "bin/auth-server keys host-key rotate --keys keys    # makes keys/host-next.key, prints its"
            + " fingerprint",
        documented -> {
          hostKeys[0] = sh(root, "bin/auth-server keys host-key --keys keys").out().strip();
          Run rotate = sh(root, documented);
          assertThat(rotate.exit()).as(rotate.all()).isZero();
          hostKeys[1] = rotate.out().strip();
          assertThat(hostKeys[1]).matches("SHA256:[A-Za-z0-9+/]{43}").isNotEqualTo(hostKeys[0]);
          assertThat(root.resolve("keys/host-next.key")).isRegularFile();
          assertThat(sh(root, "bin/auth-server keys host-key --keys keys").out())
              .isEqualTo(hostKeys[0] + "\n" + hostKeys[1] + "\n");
        });
    steps.put(
        "bin/auth-server keys host-key retire --keys keys    # host-next.key becomes host.key; the"
            + " old key is retired",
        documented -> {
          Run retire = sh(root, documented);
          assertThat(retire.exit()).as(retire.all()).isZero();
          assertThat(retire.out().strip()).isEqualTo(hostKeys[1]);
          assertThat(root.resolve("keys/host-next.key")).doesNotExist();
          assertThat(sh(root, "bin/auth-server keys host-key --keys keys").out().strip())
              .isEqualTo(hostKeys[1]);
          // No machine connected during this overlap: the credentials made so far are pinned by
          // hand, as the guide says for a machine that slept through one.
          try (var credentials = Files.newDirectoryStream(root, "*.credential")) {
            for (Path credential : credentials) {
              Run pin =
                  sh(
                      root,
                      "bin/auth-client pin --key "
                          + credential.getFileName()
                          + " --replace "
                          + hostKeys[1]);
              assertThat(pin.exit()).as(pin.all()).isZero();
            }
          }
        });
    steps.put(
        "bin/auth-server keys list --keys keys",
        documented -> {
          Run list = sh(root, documented);
          assertThat(list.exit()).isZero();
          assertThat(list.out().lines().toList().getFirst())
              .matches("CLIENT +KEY +STATE +CREATED +UNTIL +ACCESS +FINGERPRINT");
          assertThat(list.out())
              .containsPattern(
                  "sensor-1 +k1 +active +\\d{4}-\\d\\d-\\d\\d +- +all +SHA256:\\S{12}\n");
        });
    steps.put(
        "bin/auth-server keys revoke sensor-1 --keys keys",
        documented -> {
          Run revoke = sh(root, documented);
          assertThat(revoke.exit()).as(revoke.all()).isZero();
          assertThat(revoke.err()).startsWith("revoked 1 key(s) of client 'sensor-1'");
          assertThat(sh(root, "bin/auth-server keys add sensor-1 --out -").err())
              .contains("revoked")
              .contains("keys reinstate");
        });
    steps.put(
        "bin/auth-server keys reinstate sensor-1 --out sensor-1.credential --audit-log"
            + " logs/audit.jsonl",
        documented -> {
          // The credential from `keys add` was copied to the machine and deleted here.
          Files.delete(root.resolve("sensor-1.credential"));
          Run reinstate = sh(root, documented);
          assertThat(reinstate.exit()).as(reinstate.all()).isZero();
          assertThat(reinstate.err()).startsWith("reinstated client 'sensor-1' with new key k2");
          assertThat(Files.readString(root.resolve("logs/audit.jsonl")))
              .contains("\"event\":\"keys.reinstated\"");
        });
    steps.put(
        "bin/auth-server keys rotate sensor-1 --out sensor-1.new.credential --grace 24h",
        documented -> {
          Run rotate = sh(root, documented);
          assertThat(rotate.exit()).as(rotate.all()).isZero();
          assertThat(rotate.err())
              .startsWith("rotated client 'sensor-1': new key k3")
              .contains("older keys work until ");
        });
    steps.put(
        "bin/auth-server keys set sensor-1 --rotate-every 30d",
        documented -> {
          Run set = sh(root, documented);
          assertThat(set.exit()).as(set.all()).isZero();
          assertThat(set.err()).contains("rotates its key every 30d");
          assertThat(Files.readString(root.resolve("keys/sensor-1.keys")))
              .contains("rotate-every PT720H");
        });
    steps.put(
        "bin/auth-server keys set sensor-1 --rotate-every default",
        documented -> {
          Run set = sh(root, documented);
          assertThat(set.exit()).as(set.all()).isZero();
          assertThat(Files.readString(root.resolve("keys/sensor-1.keys")))
              .doesNotContain("rotate-every");
        });
    steps.put(
        "bin/auth-server keys set sensor-1 --sessions upload,chat --rooms ops,sensors-* --quota 10G"
            + " --max-file 2G --expires 365d",
        documented -> {
          Run set = sh(root, documented);
          assertThat(set.exit()).as(set.all()).isZero();
          assertThat(set.err())
              .startsWith(
                  "client 'sensor-1' may now: chat, upload sessions; rooms ops, sensors-*; largest"
                      + " file 2 GiB; quota 10 GiB; expires 20");
          assertThat(sh(root, "bin/auth-server keys list --json").out())
              .contains(
                  "\"access\":{\"sessions\":[\"chat\",\"upload\"],\"rooms\":[\"ops\",\"sensors-*\"],"
                      + "\"max_file\":2147483648,\"quota\":10737418240,\"expires\":\"20");
          assertThat(Files.readString(root.resolve("logs/audit.jsonl")))
              .contains("\"event\":\"keys.permissions\",\"client_id\":\"sensor-1\"");
          // The steps below ping as sensor-1: give it back ping sessions and any room.
          assertThat(
                  sh(root, "bin/auth-server keys set sensor-1 --sessions all --rooms all").exit())
              .isZero();
        });
    steps.put(
        "bin/auth-server serve --bind 0.0.0.0 --port 7350 --keys keys --audit-log logs/audit.jsonl",
        documented -> address[0] = serve(root, documented));
    steps.put(
        "bin/auth-client upload --server host:7350 --key sensor-1.credential [--no-resume]"
            + " [--overwrite] FILE...",
        documented -> {
          String upload =
              "bin/auth-client upload --server " + address[0] + " --key sensor-1.credential ";
          writeRandom(root.resolve("report.csv"), 200_000);
          writeRandom(root.resolve("image.bin"), 1 << 20);
          Run first = sh(root, upload + "report.csv image.bin");
          assertThat(first.exit()).as(first.all()).isZero();
          Run again = sh(root, upload + "report.csv");
          assertThat(again.exit()).isEqualTo(5);
          assertThat(again.all()).contains("already exists on the server").contains("--overwrite");
          writeRandom(root.resolve("report.csv"), 100_000);
          Run replaced = sh(root, upload + "--overwrite report.csv");
          assertThat(replaced.exit()).as(replaced.all()).isZero();
          Run fresh = sh(root, upload + "--no-resume --overwrite image.bin");
          assertThat(fresh.exit()).as(fresh.all()).isZero();
          assertThat(root.resolve("uploads/sensor-1/report.csv"))
              .hasSameBinaryContentAs(root.resolve("report.csv"));
        });
    steps.put(
        "cd /var/lib/authgate && runuser -u authgate -- install -d -m 0750 published/_all"
            + " published/sensor-1",
        documented -> {
          Path home = Files.createDirectories(dir.resolve("var/lib/authgate"));
          Run install = sh(dir, asServiceUser(documented));
          assertThat(install.exit()).as(install.all()).isZero();
          assertThat(home.resolve("published/sensor-1")).isDirectory();
          if (serviceUser()) {
            assertThat(Files.getOwner(home.resolve("published/_all")).getName())
                .isEqualTo("nobody");
          }
        });
    steps.put(
        "install -o authgate -m 0640 agent.conf"
            + " /var/lib/authgate/published/sensor-1/.agent.conf.tmp && mv"
            + " /var/lib/authgate/published/sensor-1/.agent.conf.tmp"
            + " /var/lib/authgate/published/sensor-1/agent.conf",
        documented -> {
          Files.writeString(root.resolve("agent.conf"), "interval=60\n");
          Run publish = sh(root, asServiceUser(documented));
          assertThat(publish.exit()).as(publish.all()).isZero();
          Path published = dir.resolve("var/lib/authgate/published");
          assertThat(published.resolve("sensor-1/agent.conf")).hasContent("interval=60");
          if (serviceUser()) {
            servedAsTheServiceUser(root, published);
          }
          // The walk's own server (run as this user from the tarball) publishes the same file
          // and a shared one, as the guide's "trying it from the unpacked tarball" says.
          Files.createDirectories(root.resolve("published/_all"));
          Files.createDirectories(root.resolve("published/sensor-1"));
          Files.copy(root.resolve("agent.conf"), root.resolve("published/sensor-1/agent.conf"));
          Files.writeString(root.resolve("published/_all/ca.pem"), "certificate\n");
        });
    steps.put(
        "bin/auth-client list --server host:7350 --key sensor-1.credential [--json]",
        documented -> {
          String list =
              "bin/auth-client list --server " + address[0] + " --key sensor-1.credential";
          Run table = sh(root, list);
          assertThat(table.exit()).as(table.all()).isZero();
          assertThat(table.out())
              .startsWith("NAME ")
              .containsPattern("agent\\.conf +12 .* own\n")
              .containsPattern("ca\\.pem +12 .* shared\n");
          Run json = sh(root, list + " --json");
          assertThat(json.exit()).isZero();
          assertThat(json.out()).startsWith("[{\"name\":\"agent.conf\",\"size\":12,");
        });
    steps.put(
        "bin/auth-client get --server host:7350 --key sensor-1.credential --out /etc/agent"
            + " --if-changed agent.conf",
        documented -> {
          Files.createDirectories(dir.resolve("etc/agent"));
          String get = moved(documented).replace("host:7350", address[0]);
          Run first = sh(root, get);
          assertThat(first.exit()).as(first.all()).isZero();
          assertThat(first.out()).startsWith("fetched agent.conf: 12 bytes, sha256 ");
          assertThat(dir.resolve("etc/agent/agent.conf")).hasContent("interval=60");
          Run poll = sh(root, get);
          assertThat(poll.exit()).as(poll.all()).isZero();
          assertThat(poll.out()).startsWith("unchanged agent.conf: 12 bytes");
        });
    steps.put(
        "bin/auth-client chat --server host:7350 --key sensor-1.credential [--room ops] [--json]",
        documented -> {
          Member watcher = member(root, address[0], "watcher.credential", "ops");
          String chat =
              "bin/auth-client chat --server " + address[0] + " --key sensor-1.credential";
          Run json =
              sh(root, chat + " --room ops --json", "from a script\n", Duration.ofMinutes(2));
          assertThat(json.exit()).as(json.all()).isZero();
          assertThat(watcher.await("from a script")).contains("\"from\":\"sensor-1\"");
          Run person = sh(root, chat + " --room ops", "from a person\n", Duration.ofMinutes(2));
          assertThat(person.exit()).as(person.all()).isZero();
          assertThat(watcher.await("from a person")).contains("\"room\":\"ops\"");
        });
    steps.put(
        "tail -F /var/log/sensor.log | bin/auth-client chat --server host:7350 --key s.credential"
            + " --room ops --json >> ops.jsonl",
        documented -> {
          Path log = Files.writeString(dir.resolve("var/log/sensor.log"), "sensor up\n");
          Member watcher = member(root, address[0], "watcher.credential", "ops");
          Process pipeline =
              start(root, moved(documented).replace("host:7350", address[0]), "sensor.err");
          assertThat(watcher.await("sensor up")).contains("\"from\":\"s\"");
          Files.writeString(log, "disk 91% full\n", java.nio.file.StandardOpenOption.APPEND);
          assertThat(watcher.await("disk 91% full")).contains("\"from\":\"s\"");
          watcher.say("noted");
          awaitFileContains(root.resolve("ops.jsonl"), "\"from\":\"watcher\",\"text\":\"noted\"");
          pipeline.descendants().forEach(ProcessHandle::destroy);
        });
    steps.put(
        "bin/auth-client ping --server server.example:7350 --key"
            + " /etc/authgate/sensor-1.credential",
        documented -> {
          Path credential =
              Files.createDirectories(dir.resolve("etc/authgate")).resolve("sensor-1.credential");
          Files.copy(root.resolve("sensor-1.new.credential"), credential);
          Run ping = sh(root, moved(documented).replace("server.example:7350", address[0]));
          assertThat(ping.exit()).as(ping.all()).isZero();
          assertThat(ping.out()).contains(" as sensor-1 (key k3)");
        });
    steps.put(
        "bin/auth-server keys token create --prefix sensor- --uses 100 --expires 2h > fleet.token",
        documented -> {
          // Under the common umask the shell makes fleet.token readable by others: told so first.
          Run create = sh(root, "umask 022; " + documented);
          assertThat(create.exit()).as(create.all()).isZero();
          assertThat(Files.readString(root.resolve("fleet.token")))
              .matches("agt2-[0-9a-f]{16}-[A-Za-z0-9_-]{43}-[A-Za-z0-9_-]{43}\n");
          assertThat(create.err()).contains("enrolls ids starting with 'sensor-', 100 times");
          Path token = root.resolve("fleet.token").toRealPath();
          assertThat(create.err())
              .contains(
                  "auth-server: warning: the enrollment token is going to "
                      + token
                      + ", which group or others may read (mode 0644): chmod 600 "
                      + token
                      + " now (umask 077 before redirecting)");
        });
    steps.put(
        "bin/auth-client enroll --server gate.example:7350 --token - --out"
            + " /etc/authgate/machine.credential < fleet.token",
        documented -> {
          Run enroll = sh(root, moved(documented).replace("gate.example:7350", address[0]));
          assertThat(enroll.exit()).as(enroll.all()).isZero();
          assertThat(enroll.err()).startsWith("enrolled as sensor-");
          // enroll && ping: the server that enrolled the machine lets it in at once.
          String ping =
              "bin/auth-client ping --server "
                  + address[0]
                  + " --key "
                  + dir.resolve("etc/authgate/machine.credential");
          Run pinged = sh(root, ping);
          assertThat(pinged.exit()).as(pinged.all()).isZero();
          String secret =
              Files.readAllLines(dir.resolve("etc/authgate/machine.credential")).stream()
                  .filter(l -> l.startsWith("secret "))
                  .findFirst()
                  .orElseThrow();
          try (var files = Files.walk(root.resolve("keys"))) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
              assertThat(Files.readString(file)).doesNotContain(secret.substring(7));
            }
          }
        });
    steps.put(
        "bin/auth-server keys token list",
        documented -> {
          Run list = sh(root, documented);
          assertThat(list.exit()).isZero();
          assertThat(list.out())
              .containsPattern("[0-9a-f]{16} +usable +1/100 +\\S+Z +sensor-\\* +false");
        });
    Process[] waiting = new Process[1];
    steps.put(
        "bin/auth-server keys token create --id kiosk-3 --approve > kiosk.token",
        documented -> assertThat(sh(root, documented).exit()).isZero());
    steps.put(
        "bin/auth-client enroll --server gate.example:7350 --token - --out kiosk.credential --wait"
            + " 10m < kiosk.token",
        documented -> {
          waiting[0] =
              start(root, documented.replace("gate.example:7350", address[0]), "kiosk.err");
          awaitFileContains(root.resolve("kiosk.err"), "waiting for approval");
          assertThat(waiting[0].isAlive()).isTrue();
        });
    steps.put(
        "bin/auth-server keys approve kiosk-3",
        documented -> {
          Run approve = sh(root, documented);
          assertThat(approve.exit()).as(approve.all()).isZero();
          assertThat(waiting[0].waitFor(120, TimeUnit.SECONDS)).isTrue();
          assertThat(waiting[0].exitValue()).isZero();
          assertThat(Files.readString(root.resolve("kiosk.err"))).contains("approved: kiosk-3");
        });
    steps.put(
        "bin/auth-server audit [--audit-log FILE] [--since 1h|2026-11-22|2026-11-22T10:00:00Z]"
            + " [--top N] [--json]",
        documented -> {
          Path impostor = Files.createDirectories(dir.resolve("impostor"));
          provision(root, impostor, "sensor-2");
          // A machine this server does not know, pinning its host key (else it would refuse the
          // server before it sent anything, and the server would see no id at all).
          Run pinned =
              sh(
                  impostor,
                  root.resolve("bin/auth-client")
                      + " pin --key sensor-2.credential --replace \"$("
                      + root.resolve("bin/auth-server")
                      + " keys host-key --keys "
                      + root.resolve("keys")
                      + ")\"");
          assertThat(pinned.exit()).as(pinned.all()).isZero();
          Run refused =
              sh(
                  impostor,
                  root.resolve("bin/auth-client")
                      + " ping --server "
                      + address[0]
                      + " --key sensor-2.credential");
          assertThat(refused.exit()).isEqualTo(3);
          for (String variant :
              List.of(
                  "",
                  " --audit-log logs/audit.jsonl --since 1h",
                  " --since 2026-11-22 --top 3",
                  " --since 2026-11-22T10:00:00Z")) {
            Run audit = sh(root, "bin/auth-server audit" + variant);
            assertThat(audit.exit()).as(variant + ": " + audit.all()).isZero();
            assertThat(audit.out()).as(variant).containsPattern(": \\d+ accepted, \\d+ rejected");
            assertThat(audit.out()).as(variant).contains("unknown-client");
          }
          Run json = sh(root, "bin/auth-server audit --json");
          assertThat(json.exit()).isZero();
          assertThat(json.out()).startsWith("{").contains("\"unknown-client\"");
        });
    steps.put(
        "bin/auth-server audit --follow [--json]",
        documented -> {
          Process text = start(root, "bin/auth-server audit --follow", "follow.err");
          Process json = start(root, "bin/auth-server audit --follow --json", "follow-json.err");
          BlockingQueue<String> textLines = lines(text);
          BlockingQueue<String> jsonLines = lines(json);
          // Refusals written after they started: repeat (bounded) until both have seen one.
          Path impostor = dir.resolve("impostor");
          String seenText = null;
          String seenJson = null;
          for (int attempt = 0; attempt < 10 && (seenText == null || seenJson == null); attempt++) {
            sh(
                impostor,
                root.resolve("bin/auth-client")
                    + " ping --server "
                    + address[0]
                    + " --key sensor-2.credential");
            seenText = seenText != null ? seenText : textLines.poll(5, TimeUnit.SECONDS);
            seenJson = seenJson != null ? seenJson : jsonLines.poll(5, TimeUnit.SECONDS);
          }
          assertThat(seenText).contains("unknown-client");
          assertThat(seenJson).startsWith("{").contains("\"reason\":\"unknown-client\"");
        });

    runAll(manual, steps);
  }

  /** A documented command, given exactly as the docs show it. */
  @FunctionalInterface
  private interface Step {
    void run(String documented) throws Exception;
  }

  /**
   * Checks that the steps are exactly the commands {@code markdown} shows (less {@link
   * #NOT_RUN_HERE}), in its order, then runs them.
   */
  private void runAll(Path markdown, Map<String, Step> steps) throws Exception {
    List<String> documented = documentedCommands(markdown);
    List<String> runnable = new ArrayList<>(documented);
    runnable.removeAll(NOT_RUN_HERE.keySet());
    assertThat(new ArrayList<>(steps.keySet()))
        .as("the commands %s shows, in order (add a step for a new one)", markdown.getFileName())
        .containsExactlyElementsOf(runnable);
    for (Map.Entry<String, Step> step : steps.entrySet()) {
      try {
        step.getValue().run(step.getKey());
      } catch (AssertionError | Exception e) {
        throw new AssertionError("documented command failed: " + step.getKey(), e);
      }
    }
  }

  static List<String> documentedCommands(Path markdown) throws IOException {
    Set<String> commands = new LinkedHashSet<>();
    Matcher fence =
        Pattern.compile("(?ms)^```[a-z]*\\n(.*?)^```").matcher(Files.readString(markdown));
    while (fence.find()) {
      for (String line : fence.group(1).split("\n")) {
        if (COMMAND.matcher(line).find()) {
          commands.add(line.strip());
        }
      }
    }
    return new ArrayList<>(commands);
  }

  /** Paths under /opt, /etc, /usr and /var, moved into the test's directory. */
  private String moved(String documented) {
    return documented.replaceAll("(^|[ =])/(opt|etc|usr|var)(?=/| |$)", "$1" + dir + "/$2");
  }

  private Path unpack(String name) throws Exception {
    Path tar = Path.of(System.getProperty("authgate.tarball"));
    Path into = Files.createDirectories(dir.resolve(name));
    assertThat(sh(into, "tar -xzf " + tar).exit()).isZero();
    try (var top = Files.list(into)) {
      return top.findFirst().orElseThrow();
    }
  }

  /** Whether {@code runuser -u nobody} can stand in for the service user here. */
  private boolean serviceUser() throws Exception {
    return "root".equals(System.getProperty("user.name"))
        && sh(dir, "command -v runuser").exit() == 0;
  }

  /**
   * A documented command for the service user, moved into the temporary directory: as {@code
   * nobody} where this test runs as root, else as this user (nobody else can own the files).
   */
  private String asServiceUser(String documented) throws Exception {
    String command = moved(documented);
    if (serviceUser()) {
      return command
          .replace("runuser -u authgate", "runuser -u nobody")
          .replace("-o authgate", "-o nobody");
    }
    System.err.println("DocumentedCommandsIT: run as this user, not a service user: " + documented);
    return command.replace("runuser -u authgate -- ", "").replace("-o authgate ", "");
  }

  /**
   * The server as the service user, from its home (the unit's working directory), serves what the
   * documented commands published; a directory made as root the old way ({@code install -d} alone)
   * is an error the machine is told of (exit 5), and the audit log says what to fix.
   */
  private void servedAsTheServiceUser(Path root, Path published) throws Exception {
    Path home = dir.resolve("var/lib/authgate");
    Process serve =
        start(
            home,
            "runuser -u nobody -- "
                + root.resolve("bin/auth-server")
                + " serve --bind 127.0.0.1 --port 0",
            "service-serve.err");
    String listening =
        new BufferedReader(new InputStreamReader(serve.getInputStream(), StandardCharsets.UTF_8))
            .readLine();
    assertThat(listening)
        .as(Files.readString(home.resolve("service-serve.err")))
        .startsWith("listening on 127.0.0.1:");
    String list =
        "bin/auth-client list --server "
            + listening.substring("listening on ".length())
            + " --key "
            + dir.resolve("service-sensor-1.credential");
    Run served = sh(root, list);
    assertThat(served.exit()).as(served.all()).isZero();
    assertThat(served.out()).containsPattern("agent\\.conf +12 .* own\n");

    Path shared = published.resolve("_all");
    Files.delete(shared);
    assertThat(sh(home, "install -d -m 0700 published/_all").exit()).isZero();
    Run refused = sh(root, list);
    assertThat(refused.exit()).as(refused.all()).isEqualTo(5);
    assertThat(refused.err())
        .isEqualTo(
            "auth-client: the server could not list its files: the server cannot read its"
                + " published files now (its audit log says why) [storage-error]\n");
    awaitFileContains(
        home.resolve("logs/audit.jsonl"),
        shared + ": permission denied (running as nobody); it is owned by root, mode 0700");
    serve.descendants().forEach(ProcessHandle::destroy);
    serve.destroy();
    assertThat(serve.waitFor(30, TimeUnit.SECONDS)).isTrue();
  }

  /**
   * {@code keys add ID --keys keys --out ID.credential} with {@code root}'s launcher in {@code
   * cwd}.
   */
  private void provision(Path root, Path cwd, String id) throws Exception {
    Run add =
        sh(
            cwd,
            root.resolve("bin/auth-server")
                + " keys add "
                + id
                + " --keys keys --out "
                + id
                + ".credential");
    assertThat(add.exit()).as(add.all()).isZero();
  }

  /** Starts a documented {@code serve} on loopback and a free port; returns its address. */
  private String serve(Path root, String documented) throws Exception {
    String command = documented.replace("--bind 0.0.0.0 --port 7350", "--bind 127.0.0.1 --port 0");
    Process serve = start(root, command, "serve.err");
    String listening =
        new BufferedReader(new InputStreamReader(serve.getInputStream(), StandardCharsets.UTF_8))
            .readLine();
    assertThat(listening)
        .as(Files.readString(root.resolve("serve.err")))
        .startsWith("listening on 127.0.0.1:");
    awaitFileContains(root.resolve("serve.err"), " listening on 127.0.0.1:");
    return listening.substring("listening on ".length());
  }

  /** A {@code chat --json} member that other steps can wait on and speak through. */
  private final class Member {
    private final Process process;
    private final BlockingQueue<String> lines;

    Member(Process process) {
      this.process = process;
      this.lines = lines(process);
    }

    String await(String text) throws InterruptedException {
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (System.nanoTime() < end) {
        String line = lines.poll(1, TimeUnit.SECONDS);
        if (line != null && line.contains(text)) {
          return line;
        }
      }
      throw new AssertionError("no chat line with '" + text + "' within 60 s");
    }

    void say(String text) throws IOException {
      process.getOutputStream().write((text + "\n").getBytes(StandardCharsets.UTF_8));
      process.getOutputStream().flush();
    }
  }

  private Member member(Path root, String address, String credential, String room)
      throws Exception {
    Process chat =
        start(
            root,
            "bin/auth-client chat --server "
                + address
                + " --key "
                + credential
                + " --room "
                + room
                + " --json",
            "member-" + room + ".err");
    Member member = new Member(chat);
    member.await("\"type\":\"joined\"");
    return member;
  }

  private static BlockingQueue<String> lines(Process process) {
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                  lines.add(line);
                }
              } catch (IOException ended) {
                // the process was stopped
              }
            },
            "docs-it-reader");
    reader.setDaemon(true);
    reader.start();
    return lines;
  }

  private static void awaitFileContains(Path file, String text) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < end) {
      if (Files.exists(file) && Files.readString(file).contains(text)) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError(file + " has no '" + text + "' within 60 s");
  }

  private static void writeRandom(Path file, int bytes) throws IOException {
    byte[] data = new byte[bytes];
    new java.util.Random(bytes).nextBytes(data);
    Files.write(file, data);
  }

  private Process start(Path cwd, String command, String stderrFile) throws IOException {
    ProcessBuilder builder =
        new ProcessBuilder("bash", "-c", "exec " + command)
            .directory(cwd.toFile())
            .redirectError(cwd.resolve(stderrFile).toFile());
    builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
    // The launchers' caches in the test's directory, not in the home of whoever runs the suite.
    builder.environment().put("XDG_CACHE_HOME", dir.resolve("cache").toString());
    // No background ahead-of-time cache builds racing the temporary directory's cleanup (TarballIT
    // covers them).
    builder.environment().put("AUTHGATE_NO_AOT", "1");
    Process process = builder.start();
    background.add(process);
    return process;
  }

  private Run sh(Path cwd, String command) throws Exception {
    return sh(cwd, command, "", Duration.ofMinutes(2));
  }

  private Run sh(Path cwd, String command, String stdin, Duration limit) throws Exception {
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    Path in = Files.writeString(Files.createTempFile(dir, "in", ".txt"), stdin);
    ProcessBuilder builder =
        new ProcessBuilder("bash", "-c", command)
            .directory(cwd.toFile())
            .redirectInput(in.toFile())
            .redirectOutput(out.toFile())
            .redirectError(err.toFile());
    builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
    // The launchers' caches in the test's directory, not in the home of whoever runs the suite.
    builder.environment().put("XDG_CACHE_HOME", dir.resolve("cache").toString());
    // No background ahead-of-time cache builds racing the temporary directory's cleanup (TarballIT
    // covers them).
    builder.environment().put("AUTHGATE_NO_AOT", "1");
    Process process = builder.start();
    if (!process.waitFor(limit.toSeconds(), TimeUnit.SECONDS)) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      throw new AssertionError(command + " did not finish within " + limit);
    }
    return new Run(process.exitValue(), Files.readString(out), Files.readString(err));
  }
}
