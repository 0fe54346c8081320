package dev.authgate.client.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * docs/CLIENT.md promises that auth-client and the Python client say the same thing, with the same
 * exit status, for the same mistake. One table of cases, each run with both clients against one
 * real server: the exit status is the table's, and stdout and stderr are the same line for line,
 * but for the program's name at the start of a line ({@code auth-client:} / {@code authgate:}).
 */
@Execution(ExecutionMode.CONCURRENT) // the two methods below run side by side
class ClientParityIT {
  @TempDir static Path dir;
  private static Jars.Server server;
  private static String address;
  private static String ssh;
  private static String closing;
  private static String silent;
  private static String tls;
  private static String http;
  private static String reset;
  private static final List<ServerSocket> foreignPorts = new CopyOnWriteArrayList<>();
  private static final List<Socket> held = new CopyOnWriteArrayList<>();

  /**
   * One mistake (or outcome): the arguments after the subcommand's name, {@code SERVER} standing
   * for the server's address, and the exit status both clients must end with.
   */
  record Case(String what, int exit, List<String> args, String says, String stdin) {
    Case(String what, int exit, List<String> args) {
      this(what, exit, args, null, null);
    }

    Case(String what, int exit, List<String> args, String says) {
      this(what, exit, args, says, null);
    }

    @Override
    public String toString() {
      return what;
    }
  }

  static Stream<Case> cases() {
    return Stream.of(
        new Case("no server given", 2, List.of("ping", "--key", "sensor-1.credential")),
        new Case(
            "nobody listens",
            4,
            List.of("ping", "--server", "127.0.0.1:1", "--key", "sensor-1.credential")),
        new Case(
            "a host name that does not resolve",
            4,
            List.of(
                "ping", "--server", "no-such-host.invalid:7350", "--key", "sensor-1.credential")),
        new Case(
            "a credential that is not there",
            1,
            List.of("ping", "--server", "SERVER", "--key", "missing.credential")),
        new Case(
            "a directory given as the credential",
            1,
            List.of("ping", "--server", "SERVER", "--key", "adir")),
        new Case(
            "a credential others can read",
            1,
            List.of("ping", "--server", "SERVER", "--key", "open.credential")),
        new Case(
            "a credential the server does not know",
            3,
            List.of("ping", "--server", "SERVER", "--key", "stranger.credential")),
        new Case(
            "upload a directory",
            2,
            List.of("upload", "--server", "SERVER", "--key", "sensor-1.credential", "adir")),
        new Case(
            "upload a file that is not there",
            2,
            List.of("upload", "--server", "SERVER", "--key", "sensor-1.credential", "nosuch.bin")),
        new Case(
            "upload a name with a newline",
            2,
            List.of("upload", "--server", "SERVER", "--key", "sensor-1.credential", "a\nb.txt")),
        new Case(
            "upload nothing",
            2,
            List.of("upload", "--server", "SERVER", "--key", "sensor-1.credential")),
        new Case(
            "--done and --delete without --watch",
            2,
            List.of(
                "upload",
                "--server",
                "SERVER",
                "--key",
                "sensor-1.credential",
                "--delete",
                "report.csv")),
        new Case(
            "--watch with both --done and --delete",
            2,
            List.of(
                "upload",
                "--server",
                "SERVER",
                "--key",
                "sensor-1.credential",
                "--watch",
                "adir",
                "--done",
                "done",
                "--delete")),
        new Case(
            "a name already on the server",
            5,
            List.of("upload", "--server", "SERVER", "--key", "sensor-1.credential", "stored.csv")),
        new Case(
            "a session kind the client may not use",
            5,
            List.of("upload", "--server", "SERVER", "--key", "pinger.credential", "report.csv")),
        new Case(
            "get a file nobody published",
            5,
            List.of(
                "get",
                "--server",
                "SERVER",
                "--key",
                "sensor-1.credential",
                "--out",
                "adir",
                "nothing.conf")),
        new Case("credential show", 0, List.of("credential", "show", "sensor-1.credential")),
        new Case(
            "credential show of a file others can read",
            1,
            List.of("credential", "show", "open.credential")),
        new Case(
            "list with nothing published",
            0,
            List.of("list", "--server", "SERVER", "--key", "sensor-1.credential")),
        new Case(
            "chat in a room the client may not join",
            5,
            List.of(
                "chat",
                "--json",
                "--room",
                "dev",
                "--server",
                "SERVER",
                "--key",
                "roomy.credential")),
        new Case(
            "send into a room the client may not join",
            5,
            List.of(
                "send", "--room", "dev", "--server", "SERVER", "--key", "roomy.credential", "hi"),
            "the server refused: room 'dev' is not permitted for this client; allowed: ops"),
        new Case(
            "send --udp into a room the client may not join",
            5,
            List.of(
                "send",
                "--udp",
                "--room",
                "dev",
                "--server",
                "SERVER",
                "--key",
                "roomy.credential",
                "hi"),
            "the server refused: room 'dev' is not permitted for this client; allowed: ops"),
        new Case(
            "send into a room name that is not one",
            2,
            List.of(
                "send",
                "--room",
                "bad room",
                "--server",
                "SERVER",
                "--key",
                "sensor-1.credential",
                "hi")),
        new Case(
            "a timeout of 0 would be no deadline at all",
            2,
            List.of(
                "ping", "--timeout", "0", "--server", "SERVER", "--key", "sensor-1.credential")),
        new Case(
            "a timeout that is not a duration",
            2,
            List.of(
                "ping", "--timeout", "x", "--server", "SERVER", "--key", "sensor-1.credential")),
        new Case(
            "get without a NAME",
            2,
            List.of("get", "--server", "SERVER", "--key", "sensor-1.credential")),
        new Case(
            "a server address with two colons and no brackets",
            2,
            List.of("ping", "--server", "127.0.0.1:1:99", "--key", "sensor-1.credential")),
        new Case(
            "a server address with an unclosed bracket",
            2,
            List.of("ping", "--server", "[::1", "--key", "sensor-1.credential")),
        new Case(
            "enroll with something that is not a token",
            2,
            List.of(
                "enroll", "--token", "garbage", "--server", "SERVER", "--out", "never.credential")),
        new Case(
            "chat into a room name longer than any",
            2,
            List.of(
                "chat",
                "--json",
                "--room",
                "r".repeat(300),
                "--server",
                "SERVER",
                "--key",
                "sensor-1.credential"),
            "invalid room name 'rrrr"),
        new Case(
            "send lines ended by CRLF, and bytes that are not UTF-8",
            0,
            List.of("send", "--room", "ops", "--server", "SERVER", "--key", "sensor-1.credential"),
            "sent 3 lines to room 'ops'",
            "one\r\ntwo\r\n\u00ff\u00feok\n"),
        new Case(
            "send an empty line",
            2,
            List.of(
                "send", "--room", "ops", "--server", "SERVER", "--key", "sensor-1.credential", "")),
        new Case(
            "send a line with a control character",
            2,
            List.of(
                "send",
                "--room",
                "ops",
                "--server",
                "SERVER",
                "--key",
                "sensor-1.credential",
                "a\u0001b")),
        new Case(
            "send --udp a line longer than one datagram",
            2,
            List.of(
                "send",
                "--udp",
                "--room",
                "ops",
                "--server",
                "SERVER",
                "--key",
                "sensor-1.credential",
                "x".repeat(1200)),
            "does not fit one datagram (at most 1167); send it without --udp"),
        new Case(
            "send --udp one line",
            0,
            List.of(
                "send",
                "--udp",
                "--room",
                "ops",
                "--server",
                "SERVER",
                "--key",
                "sensor-1.credential",
                "hello")),
        new Case(
            "a reconnecting chat with a revoked key gives up at once",
            3,
            List.of(
                "chat",
                "--reconnect",
                "--json",
                "--room",
                "ops",
                "--server",
                "SERVER",
                "--key",
                "gone.credential")),
        new Case(
            "ping --verbose: each step of the connection",
            0,
            List.of("ping", "--verbose", "--server", "SERVER", "--key", "sensor-1.credential")),
        new Case(
            "an SSH server's port",
            4,
            List.of("ping", "--server", "SSH", "--key", "sensor-1.credential")),
        new Case(
            "a port that closes without a word",
            4,
            List.of("ping", "--server", "CLOSING", "--key", "sensor-1.credential")),
        // Named by what they do when spoken to, not by the silent-port line at the timeout.
        new Case(
            "a TLS port: hangs up when spoken to",
            4,
            List.of("ping", "--server", "TLS", "--key", "sensor-1.credential"),
            "closed the connection without sending HELLO (is this another service's port?)"),
        new Case(
            "a port that resets when spoken to",
            4,
            List.of("ping", "--server", "RESET", "--key", "sensor-1.credential"),
            "reset the connection without sending HELLO (is this another service's port?)"),
        new Case(
            "an HTTP server that answers a bad request line",
            4,
            List.of("ping", "--server", "HTTP", "--key", "sensor-1.credential"),
            "is not an authgate server: it sent \"HTTP/1.1 400 Bad Request\" where HELLO belongs"),
        new Case(
            "a port that waits for its client to speak (a whole line first)",
            4,
            List.of(
                "ping", "--server", "SILENT", "--key", "sensor-1.credential", "--timeout", "2")),
        refused("05", 4, "try later"),
        refused("04", 4, "handshake timeout"),
        refused("03", 3, "unsupported version"),
        refused("02", 4, "protocol error"),
        refused("07", 3, "waiting for approval"),
        refused("0a", 3, "the client id locked"),
        refused("0b", 4, "an unknown code"),
        refused("0600", 4, "penalised with the length cut short"),
        new Case(
            "REFUSED 060004: penalised for 4 s, waited out twice (saying so) within the 10 s",
            4,
            List.of("ping", "--server", "REFUSED060004", "--key", "sensor-1.credential"),
            "too many failed attempts from this address; retrying in 4 s\n"
                + "CLIENT: too many failed attempts from this address; retrying in 4 s\n"
                + "CLIENT: too many failed attempts from this address: the server refuses it"
                + " for another 4 s\n"),
        new Case(
            "a reconnecting chat that cannot get in says so, and leaves once its input ended",
            0,
            List.of(
                "chat",
                "--json",
                "--reconnect",
                "--room",
                "ops",
                "--server",
                "127.0.0.1:1",
                "--key",
                "sensor-1.credential")),
        new Case(
            "a frame cut short after its header",
            4,
            List.of("ping", "--server", "CUT", "--key", "sensor-1.credential")));
  }

  /** A port that answers with REFUSED of {@code hex} (its payload) and closes. */
  private static Case refused(String hex, int exit, String what) {
    return new Case(
        "REFUSED " + hex + ": " + what,
        exit,
        List.of("ping", "--server", "REFUSED" + hex, "--key", "sensor-1.credential"));
  }

  private static final java.util.Map<String, String> REFUSING = new java.util.HashMap<>();

  /**
   * Ports that are not authgate servers: one that greets like sshd, one that closes at once, one
   * that waits for its client to speak first. Each connection is answered on its own thread and
   * held until the test is over.
   */
  private static String foreign(String greeting, boolean close) throws IOException {
    return foreign(greeting.getBytes(StandardCharsets.US_ASCII), close, false);
  }

  /** What {@link #spokenTo} answers to reset the connection instead. */
  private static final String RESET = "RESET";

  /**
   * A port that says nothing until spoken to: after a client's first 5 bytes it answers {@code
   * answer} and closes (a TLS server, given null, just closes; given {@link #RESET}, it resets
   * after one byte).
   */
  private static String spokenTo(String answer) throws IOException {
    ServerSocket port = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    foreignPorts.add(port);
    Thread.ofVirtual()
        .start(
            () -> {
              while (!port.isClosed()) {
                try {
                  Socket socket = port.accept();
                  Thread.ofVirtual()
                      .start(
                          () -> {
                            try (socket) {
                              socket.setSoTimeout(60_000);
                              if (RESET.equals(answer)) {
                                socket.getInputStream().read();
                                socket.setSoLinger(true, 0);
                                return;
                              }
                              socket.getInputStream().readNBytes(5);
                              if (answer != null) {
                                socket
                                    .getOutputStream()
                                    .write(answer.getBytes(StandardCharsets.US_ASCII));
                              }
                            } catch (IOException e) {
                              // the client left
                            }
                          });
                } catch (IOException e) {
                  return; // closed at the end of the class
                }
              }
            });
    return "127.0.0.1:" + port.getLocalPort();
  }

  /** A port that sends {@code greeting} to each connection, then closes it if {@code after}. */
  private static String foreign(byte[] greeting, boolean close, boolean after) throws IOException {
    ServerSocket port = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    foreignPorts.add(port);
    Thread.ofVirtual()
        .start(
            () -> {
              while (!port.isClosed()) {
                try {
                  Socket socket = port.accept();
                  if (close) {
                    socket.close();
                    continue;
                  }
                  socket.getOutputStream().write(greeting);
                  if (after) {
                    socket.close();
                    continue;
                  }
                  held.add(socket);
                } catch (IOException e) {
                  return; // closed at the end of the class
                }
              }
            });
    return "127.0.0.1:" + port.getLocalPort();
  }

  @BeforeAll
  static void serverAndFiles() throws Exception {
    assumeTrue(
        PythonClientIT.python(Path.of("."), "-c", "import cryptography").exit() == 0,
        "python3 with the cryptography package is not installed: the clients are not compared"
            + " (apt-get install python3-cryptography)");
    for (String id : List.of("sensor-1", "pinger", "roomy", "gone")) {
      Jars.provision(dir, id);
    }
    assertThat(
            Jars.run(
                dir,
                Jars.server(
                    List.of(),
                    "keys",
                    "revoke",
                    "gone",
                    "--keys",
                    "keys",
                    "--audit-log",
                    "keys-audit.jsonl")))
        .isZero();
    assertThat(
            Jars.run(
                dir,
                Jars.server(
                    List.of(),
                    "keys",
                    "set",
                    "roomy",
                    "--rooms",
                    "ops",
                    "--keys",
                    "keys",
                    "--audit-log",
                    "keys-audit.jsonl")))
        .isZero();
    Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
    Jars.provision(elsewhere, "stranger");
    Files.move(elsewhere.resolve("stranger.credential"), dir.resolve("stranger.credential"));
    assertThat(
            Jars.run(
                dir,
                Jars.server(
                    List.of(),
                    "keys",
                    "set",
                    "pinger",
                    "--sessions",
                    "ping",
                    "--keys",
                    "keys",
                    "--audit-log",
                    "keys-audit.jsonl")))
        .isZero();
    Files.createDirectories(dir.resolve("adir"));
    Files.writeString(dir.resolve("report.csv"), "a,b\n");
    Files.writeString(dir.resolve("stored.csv"), "kept\n");
    Files.writeString(dir.resolve("a\nb.txt"), "newline\n");
    Files.copy(dir.resolve("sensor-1.credential"), dir.resolve("open.credential"));
    Files.setPosixFilePermissions(
        dir.resolve("open.credential"), PosixFilePermissions.fromString("rw-r--r--"));
    server = Jars.serve(dir, List.of(), Jars.serveArgs());
    address = server.address();
    ssh = foreign("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", false);
    closing = foreign("", true);
    silent = foreign("", false);
    tls = spokenTo(null);
    http = spokenTo("HTTP/1.1 400 Bad Request\r\n\r\n");
    reset = spokenTo(RESET);
    for (String hex : List.of("05", "04", "03", "02", "07", "0a", "0b", "0600", "060004")) {
      byte[] payload = java.util.HexFormat.of().parseHex(hex);
      byte[] frame = new byte[5 + payload.length];
      frame[0] = 0x04; // REFUSED
      frame[4] = (byte) payload.length;
      System.arraycopy(payload, 0, frame, 5, payload.length);
      REFUSING.put("REFUSED" + hex, foreign(frame, false, true));
    }
    REFUSING.put("CUT", foreign(new byte[] {0x01, 0, 0, 0, (byte) 162}, false, true));
    Files.createDirectories(dir.resolve("uploads/sensor-1"));
    Files.writeString(dir.resolve("uploads/sensor-1/stored.csv"), "kept\n");
  }

  @AfterAll
  static void stop() throws InterruptedException, IOException {
    for (ServerSocket port : foreignPorts) {
      port.close();
    }
    for (Socket socket : held) {
      socket.close();
    }
    if (server != null) {
      server.process().destroy();
      server.process().waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** The cases that act on the real server, whose state (files, sessions) they share. */
  static Stream<Case> serverCases() {
    return cases().filter(c -> c.args().contains("SERVER"));
  }

  /**
   * The cases against scripted ports and bad command lines: stateless, so they run at once (the
   * "try later" one alone waits out both clients' 30 s retry).
   */
  static Stream<Case> statelessCases() {
    return cases().filter(c -> !c.args().contains("SERVER"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("serverCases")
  @Execution(ExecutionMode.SAME_THREAD) // one after another, beside the stateless ones
  void bothClientsSayTheSameAndExitTheSame(Case c) throws Exception {
    sameInBoth(c);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("statelessCases")
  @Execution(ExecutionMode.CONCURRENT)
  void bothClientsSayTheSameAndExitTheSame_withoutTheServer(Case c) throws Exception {
    sameInBoth(c);
  }

  private void sameInBoth(Case c) throws Exception {
    List<String> args =
        c.args().stream()
            .map(
                a ->
                    switch (a) {
                      case "SERVER" -> address;
                      case "SSH" -> ssh;
                      case "CLOSING" -> closing;
                      case "SILENT" -> silent;
                      case "TLS" -> tls;
                      case "HTTP" -> http;
                      case "RESET" -> reset;
                      default -> REFUSING.getOrDefault(a, a);
                    })
            .toList();

    List<String> python = new ArrayList<>(List.of("python3", "-m", "authgate"));
    python.addAll(args);
    Said java;
    Said py;
    if (c.args().contains("SERVER")) {
      // One after the other: both act on the same server's state (a file, a session count).
      java = run(Jars.client(List.of(), args.toArray(String[]::new)), c.stdin());
      py = run(python, c.stdin());
    } else {
      // A scripted port keeps no state between connections: both at once (the "try later" and
      // penalty cases each wait out a client's whole retry).
      FutureTask<Said> pythonSaid = new FutureTask<>(() -> run(python, c.stdin()));
      Thread.ofPlatform().daemon().name("python-client").start(pythonSaid);
      java = run(Jars.client(List.of(), args.toArray(String[]::new)), c.stdin());
      py = pythonSaid.get(5, TimeUnit.MINUTES);
    }

    assertThat(java.exit()).as("auth-client's exit status\n%s", java).isEqualTo(c.exit());
    assertThat(py.exit()).as("the Python client's exit status\n%s", py).isEqualTo(c.exit());
    assertThat(py.err()).as("stderr").isEqualTo(java.err());
    assertThat(py.out()).as("stdout").isEqualTo(java.out());
    assertThat(java.err()).as("one line on stderr").doesNotContain("Traceback", "Exception");
    if (c.says() != null) {
      assertThat(java.err()).contains(c.says());
    }
  }

  /** What a client said, its name at the start of each line made the same. */
  record Said(int exit, String out, String err) {}

  /**
   * Runs {@code command} with {@code stdin} as its input (no input if null; each char below 256 is
   * one byte, so a test can send bytes that are not UTF-8).
   */
  private static Said run(List<String> command, String stdin) throws Exception {
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    Path in = Files.createTempFile(dir, "in", ".txt");
    if (stdin != null) {
      Files.write(in, stdin.getBytes(StandardCharsets.ISO_8859_1));
    }
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectInput(in.toFile())
            .redirectOutput(out.toFile())
            .redirectError(err.toFile());
    builder.environment().remove("AUTHGATE_SERVER");
    builder.environment().remove("AUTHGATE_KEY");
    builder.environment().put("LC_ALL", "C.UTF-8");
    builder.environment().put("PYTHONPATH", PythonClientIT.PROJECT.toString());
    builder.environment().put("PYTHONDONTWRITEBYTECODE", "1");
    Process process = builder.start();
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("%s finished", command).isTrue();
    return new Said(process.exitValue(), same(out), same(err));
  }

  private static String same(Path file) throws IOException {
    return Files.readString(file, StandardCharsets.UTF_8)
        .replaceAll("(?m)^(auth-client|authgate): ", "CLIENT: ")
        .replaceAll("'(auth-client|python3 -m authgate) ", "'CLIENT ")
        .replaceAll("\"ts\":\"[0-9T:.Z-]+\"", "\"ts\":\"TIME\"")
        .replaceAll("[0-9]+(\\.[0-9]+)? ms\\b", "N ms")
        .replaceAll("from 127\\.0\\.0\\.1:[0-9]+", "from 127.0.0.1:PORT")
        .replaceAll("attempt ([0-9]+) in [0-9.]+ s", "attempt $1 in N s");
  }
}
