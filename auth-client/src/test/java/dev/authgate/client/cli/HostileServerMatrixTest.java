package dev.authgate.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.authgate.protocol.crypto.Digests;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.crypto.ScramKeys;
import dev.authgate.protocol.frame.FrameCodec;
import dev.authgate.protocol.handshake.Hello;
import dev.authgate.protocol.handshake.ServerHandshake;
import dev.authgate.protocol.handshake.ServerHandshake.Accepted;
import dev.authgate.protocol.handshake.VerifierLookup;
import dev.authgate.protocol.identity.HostKey;
import dev.authgate.protocol.identity.HostKeySet;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.keyfile.EnrollmentToken;
import dev.authgate.protocol.keyfile.KeyFiles;
import dev.authgate.protocol.keyfile.KeyStatus;
import dev.authgate.protocol.session.ChatMessage;
import dev.authgate.protocol.session.ChatMessage.Event;
import dev.authgate.protocol.session.DatagramControl;
import dev.authgate.protocol.session.Enroll;
import dev.authgate.protocol.session.EnrollResult;
import dev.authgate.protocol.session.FileListing;
import dev.authgate.protocol.session.GetData;
import dev.authgate.protocol.session.GetEnd;
import dev.authgate.protocol.session.GetFile;
import dev.authgate.protocol.session.GetReady;
import dev.authgate.protocol.session.ListFiles;
import dev.authgate.protocol.session.ListRefused;
import dev.authgate.protocol.session.RotateKey;
import dev.authgate.protocol.session.RotateResult;
import dev.authgate.protocol.session.SecureChannel;
import dev.authgate.protocol.session.SessionMessage;
import dev.authgate.protocol.session.SessionMessage.Close;
import dev.authgate.protocol.session.UploadBegin;
import dev.authgate.protocol.session.UploadData;
import dev.authgate.protocol.session.UploadEnd;
import dev.authgate.protocol.session.UploadReady;
import dev.authgate.protocol.session.UploadResult;
import dev.authgate.protocol.testing.LeakLedger;
import dev.authgate.protocol.testing.SealedTypes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The real {@code auth-client} ({@code ping}, {@code upload} and {@code chat --json}) against a
 * scripted server that holds the client's verifier (so it can complete the protocol) but, at one
 * step, stops, stalls, drips, corrupts, truncates, duplicates or reorders what it sends, or sends a
 * well-sealed message that does not belong there. Each case asserts the client's exit code, the one
 * line it says on stderr, and what it let through to stdout (nothing that did not open).
 *
 * <p>REORDER needs two server frames in one flight: the handshake and ping/upload replies are
 * lockstep (every server frame answers a client frame), so a reordered frame there is
 * indistinguishable from a corrupted one; it is run where the server sends back to back (chat).
 */
@SuppressWarnings("try") // stdin is closed early, as a user ending input would
@Tag("system")
class HostileServerMatrixTest {
  @TempDir Path dir;

  /** The server-to-client frames of each session kind, in the order the script sends them. */
  enum Step {
    HELLO(Kind.PING, null),
    WELCOME(Kind.PING, null),
    PONG(Kind.PING, SessionMessage.Pong.class),
    UPLOAD_READY(Kind.UPLOAD, UploadReady.class),
    UPLOAD_RESULT(Kind.UPLOAD, UploadResult.class),
    CHAT_JOINED(Kind.CHAT, Event.class),
    CHAT_MESSAGE(Kind.CHAT, Event.class),
    CHAT_CLOSE(Kind.CHAT, Close.class),
    ENROLL_RESULT(Kind.ENROLL, EnrollResult.class),
    /** The answer to the ROTATE_KEY a WELCOME asked for, in a ping session. */
    ROTATE_RESULT(Kind.ROTATE, RotateResult.class),
    FILE_LISTING(Kind.LIST, FileListing.class),
    /** The listing the server could not make: an error, exit 5, when it arrives whole. */
    LIST_REFUSED(Kind.LIST, ListRefused.class),
    GET_READY(Kind.GET, GetReady.class),
    GET_DATA(Kind.GET, GetData.class),
    GET_END(Kind.GET, GetEnd.class),
    SEND_JOINED(Kind.SEND, Event.class),
    DATAGRAM_OPENED(Kind.SEND, DatagramControl.Opened.class),
    DATAGRAM_COUNTS(Kind.SEND, DatagramControl.Counts.class);

    final Kind kind;
    final Class<?> message;

    Step(Kind kind, Class<?> message) {
      this.kind = kind;
      this.message = message;
    }
  }

  enum Kind {
    PING,
    UPLOAD,
    CHAT,
    ENROLL,
    LIST,
    GET,
    /** {@code send --udp}: join, open a datagram channel, one datagram, ask for the counts. */
    SEND,
    /** {@code ping} whose WELCOME asks the client to rotate its key first. */
    ROTATE
  }

  enum Fault {
    STOP,
    STALL,
    DRIP,
    CORRUPT,
    TRUNCATE,
    DUPLICATE,
    REORDER,
    /** A well-sealed message that does not belong at this step. */
    WRONG_TYPE,
    /** The frame is sent, then the server stops reading (while the client has data to send). */
    STOP_READING
  }

  /** Session message types only a client sends: a server sending one is covered as MALFORMED. */
  private static final Set<Class<?>> CLIENT_ONLY =
      Set.of(
          SessionMessage.Ping.class,
          UploadBegin.class,
          UploadData.class,
          UploadEnd.class,
          ChatMessage.Join.class,
          ChatMessage.Say.class,
          ChatMessage.Who.class,
          ChatMessage.Rooms.class,
          ChatMessage.Leave.class,
          Enroll.class,
          ListFiles.class,
          GetFile.class,
          DatagramControl.Open.class,
          DatagramControl.Status.class,
          RotateKey.class);

  @Test
  void everyMessageAServerSendsIsAStepOfTheMatrix() {
    Set<String> leaves = SealedTypes.leaves(SessionMessage.class);
    Set<String> covered = new TreeSet<>();
    Arrays.stream(Step.values())
        .filter(s -> s.message != null)
        .forEach(s -> covered.add(s.message.getName()));
    CLIENT_ONLY.forEach(c -> covered.add(c.getName()));
    assertThat(covered)
        .as("a new message type must be a step here or be declared client-only")
        .isEqualTo(leaves);
  }

  static Stream<Arguments> cases() {
    return Arrays.stream(Step.values())
        .flatMap(
            s ->
                Arrays.stream(Fault.values())
                    .filter(f -> f != Fault.REORDER || s.kind == Kind.CHAT && s != Step.CHAT_CLOSE)
                    .filter(f -> f != Fault.WRONG_TYPE || s.message != null)
                    .filter(f -> f != Fault.STOP_READING || s == Step.UPLOAD_READY)
                    .map(f -> Arguments.of(s, f)));
  }

  /** What the client is expected to do: exit code, and the stdout lines it prints. */
  private record Expected(int exit, List<String> stdout) {}

  private static Expected expected(Step step, Fault fault) {
    return switch (step.kind) {
      case PING -> new Expected(pingExit(step, fault), List.of());
      // A duplicated ROTATE_RESULT cannot open where the PONG belongs: the session breaks, after
      // the rotation was saved.
      case ROTATE -> new Expected(fault == Fault.DRIP ? 0 : 4, List.of());
      // A duplicated ENROLL_RESULT is never read: the client has its answer and closes.
      case ENROLL ->
          new Expected(fault == Fault.DRIP || fault == Fault.DUPLICATE ? 0 : 4, List.of());
      case UPLOAD -> uploadExpected(step, fault);
      case CHAT -> chatExpected(step, fault);
      // A duplicated last answer (the listing, GET_END) is never read: the client has it.
      case LIST ->
          fault == Fault.DRIP || fault == Fault.DUPLICATE
              ? new Expected(step == Step.LIST_REFUSED ? 5 : 0, listed(step))
              : new Expected(4, List.of());
      case GET ->
          fault == Fault.DRIP || step == Step.GET_END && fault == Fault.DUPLICATE
              ? new Expected(0, List.of("fetched"))
              : new Expected(4, List.of());
      // A duplicated DATAGRAM_COUNTS is never read: the client has its answer and closes.
      case SEND ->
          fault == Fault.DRIP || step == Step.DATAGRAM_COUNTS && fault == Fault.DUPLICATE
              ? new Expected(0, List.of())
              : new Expected(4, List.of());
    };
  }

  private static List<String> listed(Step step) {
    return step == Step.LIST_REFUSED ? List.of() : List.of("listed");
  }

  /** 0 ok, 3 the server is not verified, 4 anything else. */
  private static int pingExit(Step step, Fault fault) {
    if (fault == Fault.DRIP || step == Step.PONG && fault == Fault.DUPLICATE) {
      return 0;
    }
    // A corrupt HELLO breaks its host-key signature: the server is not verified either.
    return (step == Step.WELCOME || step == Step.HELLO) && fault == Fault.CORRUPT ? 3 : 4;
  }

  private static Expected uploadExpected(Step step, Fault fault) {
    // A duplicated UPLOAD_RESULT is never read: the client has its answer and closes.
    boolean clean = fault == Fault.DRIP || step == Step.UPLOAD_RESULT && fault == Fault.DUPLICATE;
    return clean ? new Expected(0, List.of("stored")) : new Expected(4, List.of());
  }

  private static Expected chatExpected(Step step, Fault fault) {
    List<String> lines = new ArrayList<>();
    if (fault == Fault.DRIP || step == Step.CHAT_CLOSE && fault == Fault.DUPLICATE) {
      return new Expected(4, List.of("joined", "message"));
    }
    // Frames before the faulty step were delivered intact; one duplicated is shown once.
    if (step.ordinal() > Step.CHAT_JOINED.ordinal() || fault == Fault.DUPLICATE) {
      lines.add("joined");
    }
    if (step == Step.CHAT_CLOSE || step == Step.CHAT_MESSAGE && fault == Fault.DUPLICATE) {
      lines.add("message");
    }
    return new Expected(4, lines);
  }

  /** The one stderr line expected, by its start. */
  private static String expectedError(Step step, Fault fault) {
    if (fault == Fault.STOP_READING) {
      return "auth-client: the server stopped reading: a write was blocked for 2 s";
    }
    if (step.kind != Kind.CHAT) {
      return "auth-client: ";
    }
    if (fault == Fault.DRIP || step == Step.CHAT_CLOSE && fault == Fault.DUPLICATE) {
      return "auth-client: the server ended the session: maintenance";
    }
    return switch (fault) {
      case STOP -> "auth-client: the connection was lost: ";
      case STALL -> "auth-client: the server went silent: no answer to 3 keepalives sent 1 s apart";
      default -> "auth-client: the server broke the protocol: ";
    };
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void theClientEndsAsDocumentedWhateverTheServerDoesAtEachStep(Step step, Fault fault)
      throws Exception {
    Credential credential =
        new Credential(
            "sensor-1",
            "k1",
            RandomSource.secure().bytes(32),
            List.of(HOST.publicKey().fingerprint()));
    EnrollmentToken token =
        EnrollmentToken.generate(RandomSource.secure()).withHostKey(HOST.publicKey().fingerprint());
    Path key = dir.resolve("sensor-1.credential");
    KeyFiles.writePrivate(key, credential.format(), true);
    try (ServerSocket listener = new ServerSocket();
        PipedOutputStream typing = new PipedOutputStream();
        PipedInputStream stdin = new PipedInputStream(typing)) {
      // A small window, so a server that stops reading stalls the client's writes soon.
      listener.setReceiveBufferSize(32 * 1024);
      listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
      Script script =
          new Script(
              step.kind == Kind.ENROLL ? token.scramKeys() : credential.scramKeys(), step, fault);
      Thread server = Thread.ofVirtual().start(() -> script.serveOnce(listener));
      String target = "127.0.0.1:" + listener.getLocalPort();
      Path enrolled = dir.resolve("enrolled.credential");
      List<String> args =
          step.kind == Kind.ENROLL
              ? new ArrayList<>(
                  List.of(
                      "enroll",
                      "--server",
                      target,
                      "--token",
                      token.text(),
                      "--out",
                      enrolled.toString(),
                      "--timeout",
                      "2"))
              : new ArrayList<>(
                  List.of(
                      step.kind.name().toLowerCase(), "--server", target, "--key", key.toString()));
      switch (step.kind) {
        case ENROLL -> {
          // the token and --out above are all it needs
        }
        case PING -> args.addAll(List.of("--timeout", "2"));
        case ROTATE -> {
          args.set(0, "ping");
          args.addAll(List.of("--timeout", "2"));
        }
        case LIST -> args.addAll(List.of("--timeout", "2", "--json"));
        case GET -> args.addAll(List.of("--timeout", "2", "--out", dir.toString(), "fetched.bin"));
        case SEND -> args.addAll(List.of("--timeout", "2", "--udp", "--room", "ops", "t=21"));
        case UPLOAD -> {
          Path file = dir.resolve("reading.bin");
          int size = fault == Fault.STOP_READING ? 16 << 20 : 300_000;
          Files.write(file, RandomSource.secure().bytes(size));
          args.addAll(List.of("--timeout", "2", file.toString()));
        }
        case CHAT -> {
          args.add("--json");
          if (fault == Fault.STALL) {
            args.addAll(List.of("--keepalive", "1"));
          }
          // One line typed; stdin then stays open, so only the server can end the session.
          typing.write("hello\n".getBytes(StandardCharsets.UTF_8));
          typing.flush();
        }
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int exit =
          AuthClientCommand.run(
              args.toArray(String[]::new),
              stdin,
              new PrintStream(out, true, StandardCharsets.UTF_8),
              new PrintStream(err, true, StandardCharsets.UTF_8));
      typing.close();
      script.clientDone.countDown();
      server.join(Duration.ofSeconds(30));
      String stdout = out.toString(StandardCharsets.UTF_8);
      String stderr = err.toString(StandardCharsets.UTF_8);

      Expected expected = expected(step, fault);
      assertThat(exit).as("exit; stderr: %s", stderr).isEqualTo(expected.exit());
      assertThat(kinds(step.kind, stdout)).as("stdout").isEqualTo(expected.stdout());
      if (exit != 0) {
        assertThat(stderr).startsWith(expectedError(step, fault)).hasLineCount(1);
      }
      if (step.kind == Kind.GET) {
        // A file appears under its name only once it arrived whole and verified.
        assertThat(Files.exists(dir.resolve("fetched.bin")))
            .as("file in place")
            .isEqualTo(exit == 0);
      }
      if (step.kind == Kind.ROTATE) {
        // The credential is replaced only once the server confirmed it stored the new key.
        boolean confirmed = fault == Fault.DRIP || fault == Fault.DUPLICATE;
        assertThat(Credential.load(key).keyId())
            .as("the credential's key")
            .isEqualTo(confirmed ? "k2" : "k1");
      }
      if (step.kind == Kind.ENROLL) {
        // A credential is written only for an enrollment the server confirmed.
        assertThat(Files.exists(enrolled)).as("credential written").isEqualTo(exit == 0);
      }
      assertThat(script.failure).as("the script itself").isNull();
    }
  }

  /** What stdout shows, reduced to a list: chat event types, or "stored" for an upload. */
  private static List<String> kinds(Kind kind, String stdout) {
    List<String> lines = stdout.lines().toList();
    return switch (kind) {
      case PING, ENROLL, SEND, ROTATE -> List.of();
      case UPLOAD -> lines.stream().anyMatch(l -> l.contains("stored")) ? List.of("stored") : lines;
      case LIST ->
          lines.stream().anyMatch(l -> l.contains("\"name\":\"fetched.bin\""))
              ? List.of("listed")
              : lines;
      case GET ->
          lines.stream().anyMatch(l -> l.startsWith("fetched ")) ? List.of("fetched") : lines;
      case CHAT ->
          lines.stream()
              .map(l -> l.replaceAll("^\\{\"type\":\"([a-z]+)\".*$", "$1"))
              .collect(Collectors.toList());
    };
  }

  /** The host key every scripted server signs with, which the client's credential pins. */
  private static final HostKey HOST = HostKey.generate(RandomSource.secure());

  /** The scripted server for one case. */
  private static final class Script {
    private final ScramKeys keys;
    private final Step step;
    private final Fault fault;
    private InputStream in;
    private OutputStream out;
    private SecureChannel channel;
    private final ByteArrayOutputStream held = new ByteArrayOutputStream();
    private byte[] pending;

    /** Counted down when the client has exited. */
    final CountDownLatch clientDone = new CountDownLatch(1);

    /** A failure of the script (not of the client): fails the test. */
    volatile Throwable failure;

    Script(ScramKeys keys, Step step, Fault fault) {
      this.keys = keys;
      this.step = step;
      this.fault = fault;
    }

    void serveOnce(ServerSocket listener) {
      VerifierLookup.RotationAsk ask =
          step.kind == Kind.ROTATE ? new VerifierLookup.RotationAsk(null) : null;
      VerifierLookup lookup =
          (id, kid) ->
              Optional.of(new VerifierLookup.KeyRecord(keys.verifier(), KeyStatus.ACTIVE, ask));
      try (Socket socket = listener.accept()) {
        socket.setSoTimeout(20_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
        ServerHandshake handshake =
            new ServerHandshake(lookup, "scripted", HostKeySet.of(HOST), RandomSource.secure());
        byte[] hello = handshake.hello();
        LeakLedger.sawChallenge(
            Arrays.copyOfRange(
                hello,
                FrameCodec.HEADER_BYTES + 2,
                FrameCodec.HEADER_BYTES + 2 + Hello.CHALLENGE_BYTES));
        if (!send(Step.HELLO, hello)) {
          return;
        }
        Accepted accepted = handshake.onAuth(FrameCodec.read(in, FrameCodec.PRE_AUTH_MAX_PAYLOAD));
        if (!send(Step.WELCOME, accepted.welcomeFrame())) {
          return;
        }
        channel = SecureChannel.server(in, held, accepted.keys());
        boolean goOn =
            switch (step.kind) {
              case PING -> ping();
              case UPLOAD -> upload();
              case CHAT -> chat();
              case ENROLL -> enroll();
              case LIST -> list();
              case GET -> get();
              case SEND -> sendUdp();
              case ROTATE -> rotate() && ping();
            };
        if (goOn) {
          drain();
        }
      } catch (IOException e) {
        // The client gave up first: what many cases expect.
      } catch (RuntimeException | Error e) {
        failure = e;
      }
    }

    private boolean ping() throws IOException {
      SessionMessage.Ping ping = (SessionMessage.Ping) channel.receive();
      return send(Step.PONG, seal(new SessionMessage.Pong(ping.token())));
    }

    private boolean upload() throws IOException {
      UploadBegin begin = (UploadBegin) channel.receive();
      if (!send(Step.UPLOAD_READY, seal(new UploadReady(0, new byte[32])))) {
        return false;
      }
      MessageDigest digest = Digests.newSha256();
      long received = 0;
      for (SessionMessage m = channel.receive(); !(m instanceof UploadEnd); m = channel.receive()) {
        if (m instanceof Close) {
          return false; // the client refused what it heard and said so
        }
        byte[] chunk = ((UploadData) m).bytes();
        digest.update(chunk);
        received += chunk.length;
      }
      assertThat(received).isEqualTo(begin.size());
      return send(
          Step.UPLOAD_RESULT,
          seal(new UploadResult(true, received, digest.digest(), "", "stored")));
    }

    private static final byte[] FILE = "a published file, fetched".getBytes(StandardCharsets.UTF_8);

    private boolean list() throws IOException {
      receiveAnsweringPings(); // LIST_FILES
      if (step == Step.LIST_REFUSED) {
        return send(
            Step.LIST_REFUSED,
            seal(new ListRefused("storage-error", "the server cannot read its published files")));
      }
      return send(
          Step.FILE_LISTING,
          seal(
              new FileListing(
                  false,
                  List.of(
                      new FileListing.Entry(
                          "fetched.bin", FILE.length, 0, Digests.sha256(FILE), false)))));
    }

    private boolean get() throws IOException {
      receiveAnsweringPings(); // GET_FILE
      if (!send(Step.GET_READY, seal(new GetReady(FILE.length, 0, 0)))) {
        return false;
      }
      if (!send(Step.GET_DATA, seal(new GetData(FILE, 0, FILE.length)))) {
        return false;
      }
      return send(
          Step.GET_END,
          seal(new GetEnd(GetEnd.Status.SENT, FILE.length, Digests.sha256(FILE), "", "sent")));
    }

    private boolean rotate() throws IOException {
      RotateKey request = (RotateKey) receiveAnsweringPings();
      assertThat(request.storedKey()).hasSize(32);
      return send(Step.ROTATE_RESULT, seal(new RotateResult(true, "k2", "", "stored as key k2")));
    }

    private boolean enroll() throws IOException {
      Enroll request = (Enroll) receiveAnsweringPings();
      String id = request.clientId().isEmpty() ? "sensor-9" : request.clientId();
      return send(
          Step.ENROLL_RESULT,
          seal(new EnrollResult(EnrollResult.Status.ENROLLED, id, "k1", "", "enrolled as " + id)));
    }

    private boolean chat() throws IOException {
      ChatMessage.Join join = (ChatMessage.Join) receiveAnsweringPings();
      long now = System.currentTimeMillis();
      if (!send(Step.CHAT_JOINED, seal(new Event(Event.Kind.JOINED, now, join.room(), "s", "")))) {
        return false;
      }
      receiveAnsweringPings(); // the typed line
      if (!send(
          Step.CHAT_MESSAGE,
          seal(new Event(Event.Kind.MESSAGE, now, join.room(), "peer", "hi there")))) {
        return false;
      }
      return send(Step.CHAT_CLOSE, seal(new Close(Close.SHUTDOWN, "maintenance")));
    }

    private boolean sendUdp() throws IOException {
      ChatMessage.Join join = (ChatMessage.Join) receiveAnsweringPings();
      long now = System.currentTimeMillis();
      if (!send(
          Step.SEND_JOINED, seal(new Event(Event.Kind.JOINED, now, join.room(), "sensor-1", "")))) {
        return false;
      }
      receiveAnsweringPings(); // DATAGRAM_OPEN
      // A port nobody listens on: the datagram is lost, which the counts then say.
      if (!send(Step.DATAGRAM_OPENED, seal(new DatagramControl.Opened(new byte[8], 9, 100)))) {
        return false;
      }
      receiveAnsweringPings(); // DATAGRAM_STATUS
      return send(Step.DATAGRAM_COUNTS, seal(new DatagramControl.Counts(1, 0, 0)));
    }

    private SessionMessage receiveAnsweringPings() throws IOException {
      while (true) {
        SessionMessage m = channel.receive();
        if (!(m instanceof SessionMessage.Ping ping)) {
          return m;
        }
        flushPending();
        out.write(seal(new SessionMessage.Pong(ping.token())));
      }
    }

    private byte[] seal(SessionMessage message) throws IOException {
      channel.send(message);
      byte[] frame = held.toByteArray();
      held.reset();
      return frame;
    }

    /** Reads whatever the client still sends, until it closes (or 20 s pass). */
    private void drain() throws IOException {
      flushPending();
      in.readAllBytes();
    }

    private void flushPending() throws IOException {
      if (pending != null) {
        out.write(pending);
        pending = null;
      }
    }

    /** Sends {@code frame} for {@code at}, faulty if it is the step; returns whether to go on. */
    private boolean send(Step at, byte[] frame) throws IOException {
      if (at != step) {
        out.write(frame);
        if (pending != null) {
          flushPending(); // REORDER: the held frame goes after the one that followed it
        }
        return true;
      }
      switch (fault) {
        case STOP -> {
          return false;
        }
        case STALL -> {
          // Say nothing more, but keep the connection until the client gives up on it.
          in.readAllBytes();
          return false;
        }
        case DRIP -> {
          for (byte b : frame) {
            out.write(b);
            out.flush();
          }
        }
        case CORRUPT -> {
          byte[] bad = frame.clone();
          bad[bad.length - 1] ^= 0x01;
          out.write(bad);
        }
        case TRUNCATE -> {
          out.write(Arrays.copyOf(frame, frame.length / 2));
          return false;
        }
        case DUPLICATE -> {
          out.write(frame);
          out.write(frame);
        }
        case REORDER -> pending = frame;
        case STOP_READING -> {
          out.write(frame);
          try {
            clientDone.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return false;
        }
        case WRONG_TYPE -> {
          out.write(
              seal(
                  step == Step.UPLOAD_READY
                      ? new SessionMessage.Pong(7)
                      : new UploadReady(0, new byte[32])));
          return false;
        }
      }
      return true;
    }
  }
}
