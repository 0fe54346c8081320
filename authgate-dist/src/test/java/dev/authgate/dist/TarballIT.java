package dev.authgate.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The release tarball as an operator installs it: unpacked where there are no sources and no Maven,
 * its launchers provision a client, serve and ping, and never try to build.
 */
class TarballIT {
  @TempDir Path dir;

  private record Run(int exit, String out, String err) {}

  private boolean buildAheadOfTimeCaches;

  private Run run(Path workDir, List<String> command) throws Exception {
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(workDir.toFile())
            .redirectOutput(out.toFile())
            .redirectError(err.toFile());
    builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
    builder.environment().put("XDG_CACHE_HOME", dir.resolve("cache").toString());
    if (!buildAheadOfTimeCaches) {
      // A background cache builder must not outlive the test and race its directory's cleanup;
      // only the test that waits for the caches lets the launchers start one.
      builder.environment().put("AUTHGATE_NO_AOT", "1");
    }
    Process process = builder.start();
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("%s finished", command).isTrue();
    return new Run(process.exitValue(), Files.readString(out), Files.readString(err));
  }

  @Test
  void anUnpackedTarballProvisionsServesAndPingsWithoutEverBuilding() throws Exception {
    Path root = unpack();
    buildAheadOfTimeCaches = true;
    assertThat(root.getFileName().toString()).startsWith("authgate-");
    for (String file :
        List.of(
            "bin/auth-server",
            "bin/auth-client",
            "bin/lib/launcher.sh",
            "lib/auth-server.jar",
            "lib/auth-client.jar",
            "contrib/systemd/authgate.service",
            "contrib/authgate.properties",
            "docs/OPERATIONS.md",
            "README.md",
            "bin/demo",
            "bin/cluster-demo",
            "clients/python/authgate/__main__.py",
            "clients/python/pyproject.toml")) {
      assertThat(root.resolve(file)).as(file).isRegularFile();
    }
    assertThat(Files.isExecutable(root.resolve("bin/demo"))).isTrue();
    assertThat(Files.isExecutable(root.resolve("bin/auth-server"))).isTrue();
    for (String absent : List.of("pom.xml", "mvnw", "auth-server", "auth-protocol")) {
      assertThat(root.resolve(absent)).as("no %s in a release", absent).doesNotExist();
    }

    assertClientJarIsLean(root.resolve("lib/auth-client.jar"));
    assertManPagesAndCompletion(root);

    Path work = Files.createDirectories(dir.resolve("var"));
    String server = root.resolve("bin/auth-server").toString();
    String client = root.resolve("bin/auth-client").toString();
    List<String> stderrs = new ArrayList<>();

    Run add = run(work, List.of(server, "keys", "add", "sensor-1", "--out", "sensor-1.credential"));
    stderrs.add(add.err());
    assertThat(add.exit()).as(add.err()).isZero();

    ProcessBuilder serveBuilder =
        new ProcessBuilder(
                server,
                "serve",
                "--port",
                "0",
                "--uploads",
                "uploads",
                "--audit-log",
                "audit.jsonl")
            .directory(work.toFile())
            .redirectError(dir.resolve("serve.err").toFile());
    serveBuilder.environment().put("JAVA_HOME", System.getProperty("java.home"));
    serveBuilder.environment().put("XDG_CACHE_HOME", dir.resolve("cache").toString());
    Process serve = serveBuilder.start();
    try {
      String listening =
          new BufferedReader(new InputStreamReader(serve.getInputStream(), StandardCharsets.UTF_8))
              .readLine();
      assertThat(listening).as("serve's first line").startsWith("listening on ");
      String address = listening.substring("listening on ".length());

      Run ping =
          run(work, List.of(client, "ping", "--server", address, "--key", "sensor-1.credential"));
      stderrs.add(ping.err());
      assertThat(ping.exit()).as(ping.err()).isZero();
      assertThat(ping.out()).startsWith("verified server '").contains(" as sensor-1 (key k1)");

      // The Python client ships in the release too, and pings from it as it is.
      if (run(work, List.of("python3", "-c", "import cryptography")).exit() == 0) {
        Run python =
            run(
                work,
                List.of(
                    "env",
                    "PYTHONPATH=" + root.resolve("clients/python"),
                    "PYTHONDONTWRITEBYTECODE=1",
                    "python3",
                    "-m",
                    "authgate",
                    "ping",
                    "--server",
                    address,
                    "--key",
                    "sensor-1.credential"));
        assertThat(python.exit()).as(python.err()).isZero();
        assertThat(python.out()).contains("sensor-1");
      } else {
        System.err.println("TarballIT: python3 with cryptography is missing; its ping not run");
      }

      if (Runtime.version().feature() >= 25) {
        // The first ping (and the first keys) started building JDK 25's ahead-of-time cache in the
        // background, silently; once it is in place a ping uses it and says the same thing.
        // In the user's cache, never in the installed tree (read-only, shared by every user).
        Path caches = dir.resolve("cache/authgate");
        // One cache per installed directory (named by it), so two versions never share one.
        String installed = cacheKey(root.resolve("lib"));
        Path cache = caches.resolve("auth-client-" + installed + ".aot");
        awaitFile(cache, caches.resolve("auth-client-" + installed + ".aot.lock"));
        Run cached =
            run(work, List.of(client, "ping", "--server", address, "--key", "sensor-1.credential"));
        stderrs.add(cached.err());
        assertThat(cached.exit()).as(cached.err()).isZero();
        assertThat(cached.out()).startsWith("verified server '").contains(" as sensor-1 (key k1)");
        assertThat(cached.out() + cached.err()).doesNotContain("AOT").doesNotContain("aot");
        awaitFile(
            caches.resolve("auth-server-" + installed + ".aot"),
            caches.resolve("auth-server-" + installed + ".aot.lock"));
        Run keys = run(work, List.of(server, "keys", "list"));
        assertThat(keys.exit()).as(keys.err()).isZero();
        assertThat(keys.out()).contains("sensor-1").doesNotContain("AOT");
        assertThat(keys.err()).isEmpty();
        // The launcher's training run (a keys add) audits into its own directory, never into
        // the operator's log in the working directory.
        Path operatorsLog = work.resolve("logs/audit.jsonl");
        if (Files.exists(operatorsLog)) {
          assertThat(Files.readString(operatorsLog)).doesNotContain("\"client_id\":\"training\"");
        }
      }

      try (var lib = Files.list(root.resolve("lib"))) {
        assertThat(lib.map(p -> p.getFileName().toString()))
            .as("the launcher writes no cache into the installed tree")
            .allMatch(name -> name.endsWith(".jar"));
      }

      Run clientVersion = run(work, List.of(client, "--version"));
      Run serverVersion = run(work, List.of(server, "serve", "--version"));
      assertThat(clientVersion.out())
          .startsWith("authgate ")
          .contains("(commit ")
          .isEqualTo(serverVersion.out());
    } finally {
      serve.destroy();
      assertThat(serve.waitFor(60, TimeUnit.SECONDS)).isTrue();
    }
    String serveLog = Files.readString(dir.resolve("serve.err"));
    assertThat(serveLog)
        .contains("authgate ")
        .contains(" listening on ")
        .contains("1 client with 1 key from")
        .contains("accepted sensor-1 (key k1) from ")
        .contains("closed sensor-1 from ");
    stderrs.add(serveLog);
    assertThat(String.join("\n", stderrs)).doesNotContain("building").doesNotContain("mvnw");
    assertThat(root.resolve("target")).doesNotExist();
  }

  /**
   * Under cron's, systemd's or {@code env -i}'s locale — none, which is POSIX, whose character set
   * is ASCII — a file named in UTF-8 is uploaded and stored under the same bytes, and a name whose
   * bytes are not UTF-8 is refused in one line. The names are written by the shell, as bytes.
   */
  @Test
  void withoutALocaleNonAsciiNamesAreStoredByteForByte() throws Exception {
    Path root = unpack();
    nonAsciiNamesWithoutALocale(
        root,
        Files.createDirectories(dir.resolve("var")),
        root.resolve("bin/auth-client"),
        "auth-client");
    if (run(dir, List.of("python3", "-c", "import cryptography")).exit() == 0) {
      // The Python client from the same tarball, the same way.
      Path python = dir.resolve("py-client");
      Files.writeString(
          python,
          "#!/bin/sh\nPYTHONPATH='"
              + root.resolve("clients/python")
              + "' PYTHONDONTWRITEBYTECODE=1 exec python3 -m authgate \"$@\"\n");
      python.toFile().setExecutable(true);
      nonAsciiNamesWithoutALocale(
          root, Files.createDirectories(dir.resolve("var-py")), python, "authgate");
    } else {
      System.err.println("TarballIT: python3 with cryptography is missing; its names not run");
    }
  }

  private void nonAsciiNamesWithoutALocale(Path root, Path work, Path clientPath, String prefix)
      throws Exception {
    String server = root.resolve("bin/auth-server").toString();
    String client = clientPath.toString();
    assertThat(
            withoutLocale(work, "\"$0\" keys add sensor-1 --out sensor-1.credential", server)
                .exit())
        .isZero();
    ProcessBuilder serveBuilder =
        new ProcessBuilder(server, "serve", "--port", "0", "--uploads", "uploads")
            .directory(work.toFile())
            .redirectError(work.resolve("serve.err").toFile());
    clearLocale(serveBuilder);
    Process serve = serveBuilder.start();
    try {
      String listening =
          new BufferedReader(new InputStreamReader(serve.getInputStream(), StandardCharsets.UTF_8))
              .readLine();
      assertThat(listening).as("serve's first line").startsWith("listening on ");
      String address = listening.substring("listening on ".length());
      String upload = "\"$0\" upload --server " + address + " --key sensor-1.credential ";

      // café-ü.txt in UTF-8: c3 a9 and c3 bc
      Run stored =
          withoutLocale(
              work,
              "name=$(printf 'caf\\303\\251-\\303\\274.txt'); printf data > \"$name\"; "
                  + upload
                  + "\"$name\" && test -f \"uploads/sensor-1/$name\" && echo same-bytes",
              client);
      assertThat(stored.exit()).as(stored.err()).isZero();
      assertThat(stored.out()).contains("stored ").endsWith("same-bytes\n");

      // The same under a UTF-8 locale this machine does not have: the C library would fall back
      // to POSIX, as it does in minimal containers.
      Run missingLocale =
          withoutLocale(
              work,
              "name=$(printf 'na\\303\\257ve.txt'); printf data > \"$name\"; LANG=xx_XX.UTF-8 "
                  + upload
                  + "\"$name\" && test -f \"uploads/sensor-1/$name\" && echo same-bytes",
              client);
      assertThat(missingLocale.exit()).as(missingLocale.err()).isZero();
      assertThat(missingLocale.out()).endsWith("same-bytes\n");

      // Latin-1 é: one byte, e9, which is not UTF-8
      Run refused =
          withoutLocale(
              work,
              "name=$(printf 'caf\\351.txt'); printf data > \"$name\"; " + upload + "\"$name\"",
              client);
      assertThat(refused.exit()).isEqualTo(2);
      assertThat(refused.err())
          .startsWith(prefix + ": caf")
          .endsWith(": its name is not valid UTF-8 (this process's locale); rename it\n")
          .hasLineCount(1);

      // A watched folder: üü.txt (c3 bc c3 bc) is stored and deleted; the Latin-1 name is
      // reported and kept, and the watcher carries on.
      Files.createDirectories(work.resolve("in"));
      ProcessBuilder watchBuilder =
          new ProcessBuilder(
                  "sh",
                  "-c",
                  "exec \"$0\" upload --server "
                      + address
                      + " --key sensor-1.credential --watch in --delete --settle 100ms",
                  client)
              .directory(work.toFile())
              .redirectOutput(work.resolve("watch.out").toFile())
              .redirectError(work.resolve("watch.err").toFile());
      clearLocale(watchBuilder);
      Process watch = watchBuilder.start();
      try {
        Run dropped =
            withoutLocale(
                work,
                "printf a > in/.x; mv in/.x \"in/$(printf '\\303\\274\\303\\274.txt')\";"
                    + " printf b > in/.y; mv in/.y \"in/$(printf 'caf\\351.txt')\"",
                "sh");
        assertThat(dropped.exit()).as(dropped.err()).isZero();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        String check =
            "test -f \"uploads/sensor-1/$(printf '\\303\\274\\303\\274.txt')\""
                + " && test ! -e \"in/$(printf '\\303\\274\\303\\274.txt')\""
                + " && test -f \"in/$(printf 'caf\\351.txt')\"";
        while (withoutLocale(work, check, "sh").exit() != 0
            || !Files.readString(work.resolve("watch.err")).contains("its name is not valid")) {
          assertThat(System.nanoTime() < deadline)
              .as(
                  "stored, deleted and reported within a minute: %s",
                  Files.readString(work.resolve("watch.err")))
              .isTrue();
          Thread.sleep(200);
        }
        assertThat(watch.isAlive()).as("the watcher carries on").isTrue();
      } finally {
        watch.destroy();
        assertThat(watch.waitFor(60, TimeUnit.SECONDS)).isTrue();
      }
    } finally {
      serve.destroy();
      assertThat(serve.waitFor(60, TimeUnit.SECONDS)).isTrue();
    }
  }

  /** Runs {@code sh -c script} with {@code $0} set to {@code program}, with no locale at all. */
  private Run withoutLocale(Path workDir, String script, String program) throws Exception {
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    ProcessBuilder builder =
        new ProcessBuilder("sh", "-c", script, program)
            .directory(workDir.toFile())
            .redirectOutput(out.toFile())
            .redirectError(err.toFile());
    clearLocale(builder);
    Process process = builder.start();
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("%s finished", script).isTrue();
    return new Run(process.exitValue(), Files.readString(out), Files.readString(err));
  }

  private static void clearLocale(ProcessBuilder builder) {
    builder.environment().keySet().removeIf(name -> name.equals("LANG") || name.startsWith("LC_"));
    builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
    builder.environment().put("AUTHGATE_NO_AOT", "1");
  }

  /**
   * The service user runs the client from an installed tree it cannot write (as every user but root
   * can not), with its state directory as its home (as the unit's user is made): the launcher gives
   * it start-up caches of its own there, and its next ping loads the client from them, as root's
   * does, rather than from the jar. Nothing is written into the tree.
   */
  @Test
  void theServiceUserGetsStartUpCachesOfItsOwn_andItsPingLoadsFromThem() throws Exception {
    assumeTrue(
        "root".equals(System.getProperty("user.name"))
            && run(dir, List.of("sh", "-c", "command -v runuser")).exit() == 0,
        "needs root and runuser to run as nobody");
    Path root = unpack();
    buildAheadOfTimeCaches = true;
    for (Path open : List.of(dir, dir.resolve("opt"))) {
      Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    assertThat(run(dir, List.of("chmod", "-R", "a-w", root.toString())).exit()).isZero();
    List<String> tree = tree(root);

    // The service user's home, as `install -d -o authgate -m 0750 /var/lib/authgate` makes it.
    Path home = Files.createDirectories(dir.resolve("home"));
    UserPrincipal nobody =
        home.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
    Files.setOwner(home, nobody);
    Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-x---"));

    Path work = Files.createDirectories(dir.resolve("var"));
    String server = root.resolve("bin/auth-server").toString();
    Run add = run(work, List.of(server, "keys", "add", "sensor-1", "--out", "sensor-1.credential"));
    assertThat(add.exit()).as(add.err()).isZero();
    Path credential =
        Files.move(work.resolve("sensor-1.credential"), home.resolve("sensor-1.credential"));
    Files.setOwner(credential, nobody);

    Process serve = serve(server, work);
    try {
      String address = listening(serve);
      List<String> ping =
          List.of(
              "runuser",
              "-u",
              "nobody",
              "--",
              "env",
              "-u",
              "XDG_CACHE_HOME",
              "HOME=" + home,
              root.resolve("bin/auth-client").toString(),
              "ping",
              "--server",
              address,
              "--key",
              "sensor-1.credential");
      Run first = run(home, ping);
      assertThat(first.exit()).as(first.err()).isZero();
      Path caches = home.resolve(".cache/authgate");
      String installed = cacheKey(root.resolve("lib"));
      assertThat(caches.resolve("auth-client-" + installed + ".jsa")).isRegularFile();
      if (Runtime.version().feature() >= 25) {
        awaitFile(
            caches.resolve("auth-client-" + installed + ".aot"),
            caches.resolve("auth-client-" + installed + ".aot.lock"));
      }
      try (Stream<Path> files = Files.list(caches)) {
        for (Path file : files.toList()) {
          assertThat(Files.getOwner(file)).as("%s", file).isEqualTo(nobody);
        }
      }

      // Where each class came from, said by the JVM: "shared objects file" is a start-up cache.
      List<String> logged = new ArrayList<>(ping);
      logged.add(8, "AUTHGATE_JAVA_OPTS=-Xlog:class+load=info:stderr");
      Run second = run(home, logged);
      assertThat(second.exit()).as(second.err()).isZero();
      assertThat(second.out()).startsWith("verified server '").contains(" as sensor-1 (key k1)");
      assertThat(second.err())
          .containsPattern(
              "dev\\.authgate\\.client\\.cli\\.PingCommand source: shared objects file");
    } finally {
      serve.destroy();
      assertThat(serve.waitFor(60, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(tree(root)).as("the installed tree is unchanged").isEqualTo(tree);
  }

  /** Every path under {@code root}, sorted. */
  private static List<String> tree(Path root) throws IOException {
    try (Stream<Path> walk = Files.walk(root)) {
      return walk.map(Path::toString).sorted().toList();
    }
  }

  /** {@code serve} on an ephemeral loopback port from {@code work}, started as this user. */
  private Process serve(String server, Path work) throws IOException {
    ProcessBuilder builder =
        new ProcessBuilder(server, "serve", "--bind", "127.0.0.1", "--port", "0")
            .directory(work.toFile())
            .redirectError(work.resolve("serve.err").toFile());
    builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
    builder.environment().put("XDG_CACHE_HOME", dir.resolve("cache").toString());
    builder.environment().put("AUTHGATE_NO_AOT", "1");
    return builder.start();
  }

  /** The address a started server says it listens on, from its first line. */
  private static String listening(Process serve) throws IOException {
    String line =
        new BufferedReader(new InputStreamReader(serve.getInputStream(), StandardCharsets.UTF_8))
            .readLine();
    assertThat(line).as("serve's first line").startsWith("listening on ");
    return line.substring("listening on ".length());
  }

  @Test
  void cachesGoToTheUsersCacheOnePerInstalledDirectory_andThoseOfRemovedInstallsArePruned()
      throws Exception {
    Path root = unpack();
    Path second = Files.createDirectories(dir.resolve("opt2"));
    assertThat(run(dir, List.of("cp", "-a", root.toString(), second.toString())).exit()).isZero();
    Path other = second.resolve(root.getFileName());
    String where =
        "source %s; authgate_cds_archive %s; authgate_cds_archive %s; rm -f \"$XDG_CACHE_HOME/authgate/.pruned\"";
    Run placed =
        run(
            dir,
            List.of(
                "bash",
                "-c",
                where.formatted(
                    root.resolve("bin/lib/launcher.sh"),
                    root.resolve("lib/auth-client.jar"),
                    other.resolve("lib/auth-client.jar"))));
    List<String> archives = placed.out().lines().toList();
    assertThat(archives)
        .hasSize(2)
        .allMatch(a -> a.startsWith(dir.resolve("cache/authgate/auth-client-").toString()))
        .doesNotHaveDuplicates();
    for (String archive : archives) {
      Files.writeString(Path.of(archive), "archive");
    }

    // The second install is removed; the next start prunes its archive, and keeps the first's.
    assertThat(run(dir, List.of("rm", "-rf", second.toString())).exit()).isZero();
    run(
        dir,
        List.of(
            "bash",
            "-c",
            "source %s; authgate_cds_archive %s >/dev/null"
                .formatted(
                    root.resolve("bin/lib/launcher.sh"), root.resolve("lib/auth-client.jar"))));
    assertThat(Path.of(archives.get(0))).exists();
    assertThat(Path.of(archives.get(1))).doesNotExist();
  }

  /** The launcher's name for an installed directory's caches: cksum of its physical path. */
  private String cacheKey(Path lib) throws Exception {
    Run sum =
        run(
            dir,
            List.of(
                "sh",
                "-c",
                "printf '%s' \"$(cd \"$1\" && pwd -P)\" | cksum",
                "sh",
                lib.toString()));
    return sum.out().strip().split(" ")[0];
  }

  /**
   * Waits (at most two minutes) until {@code file} exists and its builder's {@code lock} is gone,
   * so the test neither reads a half-built cache nor leaves a builder writing into its directory.
   */
  private static void awaitFile(Path file, Path lock) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (!(Files.exists(file) && !Files.exists(lock))) {
      assertThat(System.nanoTime() < deadline)
          .as("%s built in the background within two minutes", file)
          .isTrue();
      Thread.sleep(200);
    }
  }

  /** Unpacks the release into {@code dir/opt} and returns its top directory. */
  private Path unpack() throws Exception {
    Path tarball = Path.of(System.getProperty("authgate.tarball"));
    assertThat(tarball).exists();
    Path install = Files.createDirectories(dir.resolve("opt"));
    assertThat(run(install, List.of("tar", "-xzf", tarball.toString())).exit()).isZero();
    try (Stream<Path> top = Files.list(install)) {
      return top.findFirst().orElseThrow();
    }
  }

  /**
   * The usual slip: an operator runs {@code keys} as themselves against the service user's
   * keystore. Every command says whose it is and how to run as them, never a Java class name or a
   * bare path. Needs root (to be another user) and runuser; skipped otherwise.
   */
  @Test
  void anOperatorWhoIsNotTheKeystoresOwnerIsToldWhoIs() throws Exception {
    assumeTrue(
        "root".equals(System.getProperty("user.name")), "only root can run a command as nobody");
    assumeTrue(
        run(dir, List.of("sh", "-c", "command -v runuser")).exit() == 0, "runuser is installed");
    Path root = unpack();
    Path work = Files.createDirectories(dir.resolve("srv"));
    for (Path open : List.of(dir, dir.resolve("opt"), work)) {
      Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    String server = root.resolve("bin/auth-server").toString();
    Run add = run(work, List.of(server, "keys", "add", "sensor-1", "--out", "sensor-1.credential"));
    assertThat(add.exit()).as(add.err()).isZero();
    Files.createDirectories(work.resolve("logs"));
    Files.writeString(work.resolve("logs/audit.jsonl"), "");
    Files.setPosixFilePermissions(
        work.resolve("logs/audit.jsonl"), PosixFilePermissions.fromString("rw-------"));

    for (List<String> command :
        List.of(
            List.of("keys", "list"),
            List.of("keys", "add", "sensor-2", "--out", "-"),
            List.of("keys", "revoke", "sensor-1"),
            List.of("keys", "rotate", "sensor-1", "--out", "-"),
            List.of("serve", "--port", "0"))) {
      List<String> asNobody = new ArrayList<>(List.of("runuser", "-u", "nobody", "--", server));
      asNobody.addAll(command);
      Run refused = run(work, asNobody);
      assertThat(refused.exit()).as("%s: %s", command, refused.err()).isEqualTo(1);
      assertThat(refused.err())
          .as("%s", command)
          .isEqualTo(
              "auth-server: keystore directory keys is not readable by nobody (owned by root,"
                  + " mode 0700); run this command as root, e.g. sudo -u root auth-server …\n");
    }
    Run audit = run(work, List.of("runuser", "-u", "nobody", "--", server, "audit"));
    assertThat(audit.exit()).isEqualTo(1);
    assertThat(audit.err())
        .isEqualTo("auth-server: logs/audit.jsonl: permission denied (running as nobody)\n");
    assertThat(work.resolve("keys/sensor-2.keys")).doesNotExist();
  }

  /**
   * A man page for every command and subcommand, and bash/zsh completion that completes
   * subcommands, options and option values.
   */
  private void assertManPagesAndCompletion(Path root) throws Exception {
    for (String page :
        List.of(
            "auth-server",
            "auth-server-serve",
            "auth-server-keys-add",
            "auth-server-keys-reinstate",
            "auth-server-audit",
            "auth-client",
            "auth-client-ping",
            "auth-client-upload",
            "auth-client-chat")) {
      Path file = root.resolve("man/man1/" + page + ".1");
      assertThat(file).as(page).isRegularFile();
      String roff = Files.readString(file);
      assertThat(roff)
          .as(page)
          .contains(
              ".TH \"" + page.toUpperCase(java.util.Locale.ROOT).replace("-", "\\-") + "\" \"1\"")
          .contains("authgate manual");
    }
    assertThat(Files.readString(root.resolve("man/man1/auth-server-serve.1")))
        .contains("\\-\\-log\\-format")
        .contains(".SH \"EXIT STATUS\"")
        .contains(".SH \"EXAMPLES\"");
    assertThat(Files.readString(root.resolve("man/man1/auth-client-ping.1")))
        .contains(".SH \"EXIT STATUS\"")
        .contains(".SH \"EXAMPLES\"");

    String complete =
        "source %s; t() { COMP_WORDS=(\"$@\"); COMP_CWORD=$(($# - 1)); COMP_LINE=\"$*\";"
            + " COMP_POINT=${#COMP_LINE}; _complete_%s %s \"${@: -1}\" \"${@: -2:1}\""
            + " 2>/dev/null; echo \"${COMPREPLY[*]}\"; }; %s";
    Run server =
        run(
            dir,
            List.of(
                "bash",
                "-c",
                complete.formatted(
                    root.resolve("completion/auth-server"),
                    "auth-server",
                    "auth-server",
                    "t auth-server ke; t auth-server keys rein; t auth-server serve --log-f;"
                        + " t auth-server serve --log-format ''; t auth-server serve --no-audit-d")));
    assertThat(server.out().lines().toList())
        .containsExactly("keys", "reinstate", "--log-format", "text json", "--no-audit-daily");
    Run client =
        run(
            dir,
            List.of(
                "bash",
                "-c",
                complete.formatted(
                    root.resolve("completion/auth-client"),
                    "auth-client",
                    "auth-client",
                    "t auth-client up; t auth-client upload --over; t auth-client upload --no-")));
    assertThat(client.out().lines().toList())
        .containsExactly("upload", "--overwrite", "--no-resume --no-progress");
  }

  /**
   * The client logs nothing and writes JSON with the streaming generator: no Logback, SLF4J or
   * jackson-databind, and of BouncyCastle only what the handshake reaches.
   */
  private static void assertClientJarIsLean(Path jar) throws Exception {
    List<String> entries;
    try (ZipFile zip = new ZipFile(jar.toFile())) {
      entries = zip.stream().map(ZipEntry::getName).toList();
    }
    assertThat(entries).contains("dev/authgate/client/cli/AuthClientMain.class");
    assertThat(entries)
        .noneMatch(name -> name.startsWith("ch/qos/logback/"))
        .noneMatch(name -> name.startsWith("org/slf4j/"))
        .noneMatch(name -> name.startsWith("com/fasterxml/jackson/databind/"))
        .noneMatch(name -> name.startsWith("org/bouncycastle/pqc/"))
        .noneMatch(name -> name.startsWith("org/bouncycastle/jcajce/provider/"));
    assertThat(Files.size(jar)).as("client jar bytes").isLessThan(4L << 20);
  }
}
