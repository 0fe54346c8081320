package dev.authgate.client.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.keyfile.HostKeyFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Python client in clients/python (written from docs/PROTOCOL.md alone) against the real Java
 * server, and its own unit tests (the worked example of §9, byte for byte). Skipped, saying so,
 * where python3 or its {@code cryptography} package is missing ({@code .ci/run} installs Debian's
 * python3-cryptography when it can).
 */
class PythonClientIT {
  static final Path PROJECT = Path.of("..", "clients", "python").toAbsolutePath().normalize();

  @TempDir Path dir;

  record Run(int exit, String out, String err) {}

  @BeforeAll
  static void pythonWithCryptography() throws Exception {
    Run probe = python(Path.of("."), "-c", "import cryptography");
    assumeTrue(
        probe.exit() == 0,
        "python3 with the cryptography package is not installed: the Python client is not tested"
            + " (apt-get install python3-cryptography)");
  }

  static Run python(Path cwd, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("python3"));
    command.addAll(List.of(args));
    Path out = Files.createTempFile("py", ".out");
    Path err = Files.createTempFile("py", ".err");
    Process process;
    try {
      ProcessBuilder builder =
          new ProcessBuilder(command)
              .directory(cwd.toFile())
              .redirectOutput(out.toFile())
              .redirectError(err.toFile());
      builder.environment().put("PYTHONPATH", PROJECT.toString());
      builder.environment().put("PYTHONDONTWRITEBYTECODE", "1");
      process = builder.start();
    } catch (java.io.IOException noPython) {
      return new Run(127, "", String.valueOf(noPython.getMessage()));
    }
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("%s finished", command).isTrue();
    Run run = new Run(process.exitValue(), Files.readString(out), Files.readString(err));
    Files.delete(out);
    Files.delete(err);
    return run;
  }

  /** {@code python3 -m authgate COMMAND --server ADDRESS --key KEY [args]} in {@code cwd}. */
  static Run authgate(Path cwd, String command, String address, String key, String... args)
      throws Exception {
    List<String> all =
        new ArrayList<>(List.of("-m", "authgate", command, "--server", address, "--key", key));
    all.addAll(List.of(args));
    return python(cwd, all.toArray(String[]::new));
  }

  @Test
  void thePythonUnitTestsPass() throws Exception {
    Run tests = python(PROJECT, "-m", "unittest", "discover", "-s", "tests", "-t", ".");

    assertThat(tests.exit()).as(tests.err()).isZero();
    assertThat(tests.err()).contains("OK");
  }

  @Test
  void thePythonClientPingsTheJavaServer_andIsRefusedWithAWrongKey() throws Exception {
    Jars.provision(dir, "sensor-1");
    Path impostor = Files.createDirectory(dir.resolve("impostor"));
    Jars.provision(impostor, "sensor-1");
    // A wrong key for this server, not a wrong server: the impostor pins this server's host key
    // (with the Python client's own pin command).
    String hostKey = Credential.load(dir.resolve("sensor-1.credential")).hostKeys().get(0);
    Run pinned =
        python(
            impostor,
            "-m",
            "authgate",
            "pin",
            "--key",
            "sensor-1.credential",
            "--replace",
            hostKey);
    assertThat(pinned.exit()).as(pinned.err()).isZero();
    assertThat(pinned.out()).isEqualTo(hostKey + "\n");
    Jars.Server server = Jars.serve(dir, List.of(), Jars.serveArgs());
    try {
      Run ping = authgate(dir, "ping", server.address(), "sensor-1.credential");
      assertThat(ping.exit()).as(ping.err()).isZero();
      assertThat(ping.out())
          .matches(
              "verified server '[^']+' at "
                  + server.address().replace(".", "\\.")
                  + " as sensor-1 \\(key k1\\): handshake [0-9.]+ ms, round trip [0-9.]+ ms\\n");

      Run wrong = authgate(impostor, "ping", server.address(), "sensor-1.credential");
      assertThat(wrong.exit()).isEqualTo(3);
      assertThat(wrong.err())
          .isEqualTo("authgate: the server refused this client (wrong or unknown key)\n");
    } finally {
      server.process().destroy();
      server.process().waitFor(30, TimeUnit.SECONDS);
    }
    String audit = Files.readString(dir.resolve("audit.jsonl"));
    assertThat(audit).contains("\"event\":\"auth.accepted\"").contains("\"reason\":\"bad-proof\"");
    assertThat(audit).contains("\"kind\":\"ping\"").contains("\"outcome\":\"closed\"");
  }

  @Test
  void thePythonClientRefusesAServerWithoutThePinnedHostKeyAndFollowsARotation() throws Exception {
    Jars.provision(dir, "sensor-1");
    Path key = dir.resolve("sensor-1.credential");
    String old = Credential.load(key).hostKeys().get(0);
    // A thief's copy of the keystore, without host.key: its server makes a host key of its own.
    Path thief = Files.createDirectory(dir.resolve("thief"));
    Path stolen =
        Files.createDirectory(
            thief.resolve("keys"),
            java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
    Files.copy(dir.resolve("keys/sensor-1.keys"), stolen.resolve("sensor-1.keys"));
    Files.copy(key, thief.resolve("sensor-1.credential"));
    Jars.Server rogue = Jars.serve(thief, List.of(), Jars.serveArgs());
    Jars.Server server = Jars.serve(dir, List.of(), Jars.serveArgs());
    try {
      Run posed = authgate(thief, "ping", rogue.address(), "sensor-1.credential");
      assertThat(posed.exit()).isEqualTo(3);
      assertThat(posed.err())
          .startsWith("authgate: the server's host key SHA256:")
          .contains("is not the one pinned in sensor-1.credential (" + old + ")");
      assertThat(Files.readString(thief.resolve("audit.jsonl"))).doesNotContain("sensor-1");

      // An unpinned credential: refused, unless --accept-new, which pins the key in the file.
      Path unpinned = dir.resolve("unpinned.credential");
      Files.writeString(
          unpinned,
          Files.readString(key).replaceAll("host-key .*\n", ""),
          java.nio.charset.StandardCharsets.UTF_8);
      Files.setPosixFilePermissions(
          unpinned, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
      Run refused = authgate(dir, "ping", server.address(), "unpinned.credential");
      assertThat(refused.exit()).isEqualTo(3);
      assertThat(refused.err()).contains("no host key is pinned").contains("--accept-new");
      Run accepted = authgate(dir, "ping", server.address(), "unpinned.credential", "--accept-new");
      assertThat(accepted.exit()).as(accepted.err()).isZero();
      assertThat(Credential.load(unpinned).hostKeys()).containsExactly(old);

      // A rotation: the Python machine learns the next key during the overlap and follows.
      assertThat(
              Jars.run(
                  dir,
                  Jars.server(
                      List.of(),
                      "keys",
                      "host-key",
                      "rotate",
                      "--keys",
                      "keys",
                      "--audit-log",
                      "keys-audit.jsonl")))
          .isZero();
      String next =
          HostKeyFile.parse(
                  dir.resolve("keys/host-next.key"),
                  Files.readString(dir.resolve("keys/host-next.key")))
              .key()
              .publicKey()
              .fingerprint();
      org.awaitility.Awaitility.await() // the server's watcher picks the rotation up
          .atMost(java.time.Duration.ofSeconds(60))
          .until(
              () ->
                  authgate(dir, "ping", server.address(), "sensor-1.credential").exit() == 0
                      && Credential.load(key).hostKeys().contains(next));
      assertThat(Credential.load(key).hostKeys()).containsExactly(old, next);
      assertThat(
              java.nio.file.attribute.PosixFilePermissions.toString(
                  Files.getPosixFilePermissions(key)))
          .isEqualTo("rw-------");
      assertThat(
              Jars.run(
                  dir,
                  Jars.server(
                      List.of(),
                      "keys",
                      "host-key",
                      "retire",
                      "--keys",
                      "keys",
                      "--audit-log",
                      "keys-audit.jsonl")))
          .isZero();
      org.awaitility.Awaitility.await()
          .atMost(java.time.Duration.ofSeconds(60))
          .until(
              () ->
                  authgate(dir, "ping", server.address(), "sensor-1.credential").exit() == 0
                      && Credential.load(key).hostKeys().equals(List.of(next)));
      // The credential that missed the overlap is refused with both keys named.
      Run slept = authgate(dir, "ping", server.address(), "unpinned.credential");
      assertThat(slept.exit()).isEqualTo(3);
      assertThat(slept.err()).contains(next).contains(old).contains("auth-client pin");
    } finally {
      for (Jars.Server s : List.of(server, rogue)) {
        s.process().destroy();
        s.process().waitFor(30, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void aPythonAndAJavaMemberChatInOneRoom() throws Exception {
    Jars.provision(dir, "java-1");
    Jars.provision(dir, "py-1");
    Jars.Server server = Jars.serve(dir, List.of(), Jars.serveArgs());
    Process javaMember = Jars.jsonChat(dir, server.address(), "java-1");
    Lines javaSees = new Lines(javaMember);
    // The Java member is in the room first, so it sees the Python member join.
    assertThat(javaSees.await("\"from\":\"java-1\"", java.time.Duration.ofSeconds(60)))
        .contains("\"type\":\"joined\"");
    ProcessBuilder builder =
        new ProcessBuilder(
                "python3",
                "-m",
                "authgate",
                "chat",
                "--server",
                server.address(),
                "--key",
                "py-1.credential",
                "--json")
            .directory(dir.toFile())
            .redirectError(dir.resolve("py.err").toFile());
    builder.environment().put("PYTHONPATH", PROJECT.toString());
    builder.environment().put("PYTHONDONTWRITEBYTECODE", "1");
    Process python = builder.start();
    Lines pythonSees = new Lines(python);
    try {
      assertThat(javaSees.await("\"from\":\"py-1\"", java.time.Duration.ofSeconds(60)))
          .contains("\"type\":\"joined\"");
      python
          .getOutputStream()
          .write("hello from python\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
      python.getOutputStream().flush();
      assertThat(javaSees.await("hello from python", java.time.Duration.ofSeconds(60)))
          .startsWith("{\"type\":\"message\",\"room\":\"lobby\",\"from\":\"py-1\"");
      javaMember
          .getOutputStream()
          .write("hello from java\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
      javaMember.getOutputStream().flush();
      assertThat(pythonSees.await("hello from java", java.time.Duration.ofSeconds(60)))
          .matches(
              "\\{\"type\":\"message\",\"room\":\"lobby\",\"from\":\"java-1\","
                  + "\"text\":\"hello from java\",\"ts\":\"[0-9T:.-]+Z\"}");
      python.getOutputStream().close();
      assertThat(python.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(python.exitValue()).as(Files.readString(dir.resolve("py.err"))).isZero();
      assertThat(javaSees.await("\"type\":\"left\"", java.time.Duration.ofSeconds(60)))
          .contains("\"from\":\"py-1\"");
    } finally {
      javaMember.getOutputStream().close();
      javaMember.waitFor(30, TimeUnit.SECONDS);
      python.destroy();
      server.process().destroy();
      server.process().waitFor(30, TimeUnit.SECONDS);
    }
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "reconnecting: {0}")
  @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
  void aRevokedPythonChatMemberExits3WhileItsInputIsStillOpen(boolean reconnecting)
      throws Exception {
    Jars.provision(dir, "py-2");
    Jars.Server server = Jars.serve(dir, List.of(), Jars.serveArgs());
    List<String> command =
        new ArrayList<>(
            List.of(
                "python3",
                "-m",
                "authgate",
                "chat",
                "--server",
                server.address(),
                "--key",
                "py-2.credential",
                "--room",
                "ops",
                "--json"));
    if (reconnecting) {
      command.add("--reconnect"); // a revocation is not waited out: it ends the chat at once
    }
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectError(dir.resolve("py2.err").toFile());
    builder.environment().put("PYTHONPATH", PROJECT.toString());
    builder.environment().put("PYTHONDONTWRITEBYTECODE", "1");
    Process python = builder.start();
    Lines pythonSees = new Lines(python);
    try {
      assertThat(pythonSees.await("\"type\":\"joined\"", java.time.Duration.ofSeconds(60)))
          .contains("\"from\":\"py-2\"");
      assertThat(
              Jars.run(
                  dir,
                  Jars.server(
                      List.of(), "keys", "revoke", "py-2", "--audit-log", "keys-audit.jsonl")))
          .isZero();
      // stdin stays open: the session's end alone ends the process, with the Java client's code
      assertThat(python.waitFor(60, TimeUnit.SECONDS)).isTrue();
      String err = Files.readString(dir.resolve("py2.err"));
      assertThat(python.exitValue()).as(err).isEqualTo(3);
      assertThat(err)
          .isEqualTo("authgate: the server ended the session: this client's key was revoked\n");
    } finally {
      python.destroy();
      server.process().destroy();
      server.process().waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void thePythonClientSendsLinesAsVerifiedDatagramsThatAJavaMemberHears() throws Exception {
    Jars.provision(dir, "java-1");
    Jars.provision(dir, "py-1");
    Jars.Server server = Jars.serve(dir, List.of(), Jars.serveArgs());
    Process javaMember = Jars.jsonChat(dir, server.address(), "java-1");
    Lines javaSees = new Lines(javaMember);
    try {
      assertThat(javaSees.await("\"from\":\"java-1\"", java.time.Duration.ofSeconds(60)))
          .contains("\"type\":\"joined\"");
      Run send = authgate(dir, "send", server.address(), "py-1.credential", "--udp", "temp=21.5");

      assertThat(send.exit()).as(send.err()).isZero();
      assertThat(send.err())
          .isEqualTo(
              "sent 1 datagram to room 'lobby' (UDP "
                  + server.address().substring(server.address().lastIndexOf(':') + 1)
                  + "): 1 received by the server, 0 lost\n");
      assertThat(javaSees.await("temp=21.5", java.time.Duration.ofSeconds(60)))
          .startsWith("{\"type\":\"message\",\"room\":\"lobby\",\"from\":\"py-1\"");
      // It joined to speak only: sent nothing, so never a slow consumer.
      assertThat(Files.readAllLines(dir.resolve("audit.jsonl")))
          .filteredOn(l -> l.contains("\"event\":\"chat.joined\"") && l.contains("\"py-1\""))
          .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
          .contains("\"speak_only\":true");
      Run tooLong =
          authgate(dir, "send", server.address(), "py-1.credential", "--udp", "x".repeat(1200));
      assertThat(tooLong.exit()).isEqualTo(2);
    } finally {
      javaMember.getOutputStream().close();
      javaMember.waitFor(30, TimeUnit.SECONDS);
      server.process().destroy();
      server.process().waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void thePythonClientEnrollsWithATokenOnceAndPingsWithTheCredentialItMade() throws Exception {
    Jars.provision(dir, "base"); // the keystore exists
    Path tokenFile = dir.resolve("fleet.token");
    assertThat(
            Jars.run(
                dir,
                List.of(
                    "sh",
                    "-c",
                    String.join(
                            " ",
                            Jars.server(List.of(), "keys", "token", "create", "--prefix", "py-"))
                        + " > fleet.token")))
        .isZero();
    Jars.Server server = Jars.serve(dir, List.of(), Jars.serveArgs());
    try {
      String token = Files.readString(tokenFile).strip();
      Run enrolled =
          python(
              dir,
              "-m",
              "authgate",
              "enroll",
              "--server",
              server.address(),
              "--token",
              token,
              "--id",
              "py-7",
              "--out",
              "py-7.credential");
      assertThat(enrolled.exit()).as(enrolled.err()).isZero();
      assertThat(enrolled.err()).startsWith("enrolled as py-7 (key k1) with server '");
      assertThat(
              java.nio.file.attribute.PosixFilePermissions.toString(
                  Files.getPosixFilePermissions(dir.resolve("py-7.credential"))))
          .isEqualTo("rw-------");
      // enroll && ping: the server that enrolled the machine lets it in at once.
      Run ping = authgate(dir, "ping", server.address(), "py-7.credential");
      assertThat(ping.exit()).as(ping.err()).isZero();
      Run again =
          python(
              dir,
              "-m",
              "authgate",
              "enroll",
              "--server",
              server.address(),
              "--token",
              token,
              "--out",
              "py-8.credential");
      assertThat(again.exit()).isEqualTo(3);
      assertThat(again.err()).contains("the server refused the token");
      assertThat(dir.resolve("py-8.credential")).doesNotExist();
    } finally {
      server.process().destroy();
      server.process().waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void enrollWaitGetsInOnceApproved_andStopsAtOnceWhenDenied() throws Exception {
    Jars.provision(dir, "base"); // the keystore exists
    for (String id : List.of("w1", "w2")) {
      String create =
          String.join(
              " ", Jars.server(List.of(), "keys", "token", "create", "--approve", "--id", id));
      assertThat(Jars.run(dir, List.of("sh", "-c", create + " > " + id + ".token"))).isZero();
    }
    Jars.Server server = Jars.serve(dir, List.of(), Jars.serveArgs());
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      java.util.Map<String, java.util.concurrent.Future<Run>> waits = new java.util.HashMap<>();
      for (String id : List.of("w1", "w2")) {
        String token = Files.readString(dir.resolve(id + ".token")).strip();
        waits.put(
            id,
            pool.submit(
                () ->
                    python(
                        dir,
                        "-m",
                        "authgate",
                        "enroll",
                        "--server",
                        server.address(),
                        "--token",
                        token,
                        "--out",
                        id + ".credential",
                        "--wait",
                        "5m")));
      }
      org.awaitility.Awaitility.await() // both enrolled, and waiting
          .atMost(java.time.Duration.ofSeconds(60))
          .until(
              () ->
                  Files.exists(dir.resolve("w1.credential"))
                      && Files.exists(dir.resolve("w2.credential")));
      assertThat(Jars.run(dir, Jars.server(List.of(), "keys", "approve", "w1"))).isZero();
      assertThat(Jars.run(dir, Jars.server(List.of(), "keys", "deny", "w2"))).isZero();

      Run in = waits.get("w1").get(2, TimeUnit.MINUTES);
      assertThat(in.exit()).as(in.err()).isZero();
      assertThat(in.err())
          .contains("waiting for approval: on the server run: auth-server keys approve w1")
          .endsWith("approved: w1 is let in\n");
      Run out = waits.get("w2").get(2, TimeUnit.MINUTES);
      assertThat(out.exit()).as(out.err()).isEqualTo(3);
      assertThat(out.err())
          .endsWith(
              "authgate: denied by the operator: w2 is not let in (the credential stays in"
                  + " w2.credential)\n");
      assertThat(Files.readAllLines(dir.resolve("audit.jsonl")))
          .as("it asked once after the denial, and stopped: no string of failures for fail2ban")
          .filteredOn(l -> l.contains("\"client_id\":\"w2\"") && l.contains("revoked-key"))
          .hasSize(1);
    } finally {
      pool.shutdownNow();
      server.process().destroy();
      server.process().waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void usageAndConnectionFailuresHaveTheJavaClientsExitCodes() throws Exception {
    Jars.provision(dir, "sensor-1");
    Run noServer = python(dir, "-m", "authgate", "ping", "--key", "sensor-1.credential");
    assertThat(noServer.exit()).isEqualTo(2);
    assertThat(noServer.err()).contains("no server");

    Run nobodyListens = authgate(dir, "ping", "127.0.0.1:1", "sensor-1.credential");
    assertThat(nobodyListens.exit()).isEqualTo(4);

    Files.setPosixFilePermissions(
        dir.resolve("sensor-1.credential"),
        java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    Run open = authgate(dir, "ping", "127.0.0.1:1", "sensor-1.credential");
    assertThat(open.exit()).isEqualTo(1);
    assertThat(open.err()).contains("accessible by group or others").contains("chmod 600");
  }
}
