package dev.authgate.server.connection;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.frame.Frame;
import dev.authgate.protocol.frame.FrameCodec;
import dev.authgate.protocol.frame.FrameType;
import dev.authgate.protocol.handshake.ClientHandshake;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.session.ChatMessage;
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
import dev.authgate.protocol.session.SecureChannel;
import dev.authgate.protocol.session.SessionMessage;
import dev.authgate.protocol.session.SessionMessage.Close;
import dev.authgate.protocol.session.UploadBegin;
import dev.authgate.protocol.session.UploadData;
import dev.authgate.protocol.session.UploadEnd;
import dev.authgate.protocol.session.UploadReady;
import dev.authgate.protocol.session.UploadResult;
import dev.authgate.protocol.testing.SealedTypes;
import dev.authgate.server.testing.RawClient;
import dev.authgate.server.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A scripted hostile client against the real server: every message type a sealed frame can carry,
 * and the AUTH of the handshake, each delivered dripped, corrupted, duplicated, reordered,
 * truncated or cut off. Each case asserts what the client hears (the CLOSE, or the REFUSED code)
 * and exactly how the server audits the end of that connection.
 */
@SuppressWarnings("try") // the CUT_OFF fault closes the client socket mid-test on purpose
@Tag("system")
class HostilePeerMatrixTest {
  @TempDir static Path dir;
  static TestServer server;
  static Credential sensor;

  /** One sample of every message type; a new type without a sample fails the test below. */
  static final Map<Class<?>, SessionMessage> SAMPLES = new LinkedHashMap<>();

  static {
    SAMPLES.put(SessionMessage.Ping.class, new SessionMessage.Ping(1));
    SAMPLES.put(SessionMessage.Pong.class, new SessionMessage.Pong(2));
    SAMPLES.put(Close.class, new Close(Close.NORMAL, "bye"));
    SAMPLES.put(UploadBegin.class, new UploadBegin("matrix.bin", 4, false, false));
    SAMPLES.put(UploadData.class, new UploadData(new byte[] {1, 2, 3, 4}));
    SAMPLES.put(UploadEnd.class, new UploadEnd(new byte[32]));
    SAMPLES.put(UploadReady.class, new UploadReady(0, new byte[32]));
    SAMPLES.put(UploadResult.class, new UploadResult(true, 0, new byte[32], "", "stored"));
    SAMPLES.put(ChatMessage.Join.class, new ChatMessage.Join("matrix"));
    SAMPLES.put(ChatMessage.Say.class, ChatMessage.Say.of("hello"));
    SAMPLES.put(ChatMessage.Who.class, new ChatMessage.Who());
    SAMPLES.put(ChatMessage.Rooms.class, new ChatMessage.Rooms());
    SAMPLES.put(ChatMessage.Leave.class, new ChatMessage.Leave());
    SAMPLES.put(
        ChatMessage.Event.class,
        new ChatMessage.Event(ChatMessage.Event.Kind.MESSAGE, 0, "matrix", "admin", "forged"));
    SAMPLES.put(Enroll.class, new Enroll("matrix", new byte[32], new byte[32]));
    SAMPLES.put(EnrollResult.class, EnrollResult.refused("forged", "forged"));
    SAMPLES.put(ListFiles.class, new ListFiles());
    SAMPLES.put(FileListing.class, new FileListing(false, java.util.List.of()));
    SAMPLES.put(ListRefused.class, new ListRefused("storage-error", "forged"));
    SAMPLES.put(GetFile.class, new GetFile("matrix.bin", 0, new byte[32], false, new byte[32]));
    SAMPLES.put(GetReady.class, new GetReady(4, 0, 0));
    SAMPLES.put(GetData.class, new GetData(new byte[] {1, 2, 3, 4}, 0, 4));
    SAMPLES.put(GetEnd.class, GetEnd.refused("forged", "forged"));
    SAMPLES.put(DatagramControl.Open.class, new DatagramControl.Open());
    SAMPLES.put(DatagramControl.Status.class, new DatagramControl.Status());
    SAMPLES.put(DatagramControl.Opened.class, new DatagramControl.Opened(new byte[8], 7350, 100));
    SAMPLES.put(DatagramControl.Counts.class, new DatagramControl.Counts(1, 0, 0));
    SAMPLES.put(
        dev.authgate.protocol.session.RotateKey.class,
        new dev.authgate.protocol.session.RotateKey(new byte[32], new byte[32]));
    SAMPLES.put(
        dev.authgate.protocol.session.RotateResult.class,
        dev.authgate.protocol.session.RotateResult.refused("forged", "forged"));
  }

  /** Types only an enrollment token's session may send: a client's session ends not-permitted. */
  private static final Set<Class<?>> NOT_PERMITTED_WHEN_CLEAN = Set.of(Enroll.class);

  /** Types a client may not send at that point, or at all: the session ends as malformed. */
  private static final Set<Class<?>> REFUSED_WHEN_CLEAN =
      Set.of(
          UploadData.class,
          UploadEnd.class,
          UploadReady.class,
          UploadResult.class,
          ChatMessage.Event.class,
          EnrollResult.class,
          FileListing.class,
          ListRefused.class,
          GetReady.class,
          GetData.class,
          GetEnd.class,
          DatagramControl.Opened.class,
          DatagramControl.Counts.class,
          // (a ROTATE_KEY only in a session whose WELCOME asked for it: this one's did not)
          dev.authgate.protocol.session.RotateKey.class,
          dev.authgate.protocol.session.RotateResult.class);

  enum Fault {
    /** One byte per write: must make no difference. */
    DRIPPED,
    /** One bit of the tag flipped. */
    CORRUPTED,
    /** The same frame sent twice. */
    DUPLICATED,
    /** A later frame (PING) sent before this one. */
    REORDERED,
    /** Half the frame, then the client's output is shut. */
    TRUNCATED,
    /** The header only, then the socket is closed. */
    CUT_OFF
  }

  @BeforeAll
  static void start() throws IOException {
    server = TestServer.start(dir);
    sensor = server.provision("sensor-1");
  }

  @AfterAll
  static void stop() throws IOException {
    server.close();
  }

  @Test
  void everySessionMessageTypeHasASampleInTheMatrix() {
    Set<String> leaves = SealedTypes.leaves(SessionMessage.class);
    assertThat(SAMPLES.keySet().stream().map(Class::getName).sorted().toList())
        .containsExactlyElementsOf(leaves);
  }

  static Stream<Arguments> sessionCases() {
    return SAMPLES.values().stream()
        .flatMap(
            m ->
                Arrays.stream(Fault.values())
                    .map(f -> Arguments.of(m.getClass().getSimpleName(), f, m)));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("sessionCases")
  void aHostileSessionFrameEndsAsDocumented(String type, Fault fault, SessionMessage message)
      throws IOException {
    int port;
    Close heard;
    Set<String> earlier = connectionsSoFar();
    try (RawClient client = RawClient.connect(server.port())) {
      port = client.localPort();
      ByteArrayOutputStream held = new ByteArrayOutputStream();
      SecureChannel channel = client.handshakeHolding(sensor.identity(), held);
      byte[] frame = seal(channel, held, message);
      deliver(client, channel, held, frame, fault, message);
      heard = lastClose(channel);
    }
    String outcome = expectedOutcome(message, fault);
    JsonNode closed = awaitNewEvent("session.closed", port, earlier);
    assertThat(closed.path("outcome").asText()).as("server's outcome").isEqualTo(outcome);
    if (outcome.equals("closed") || fault == Fault.CUT_OFF) {
      assertThat(heard).as("what the client heard").isNull();
    } else if (outcome.equals("not-permitted")) {
      assertThat(heard).as("what the client heard").isNotNull();
      assertThat(heard.code()).isEqualTo(Close.NOT_PERMITTED);
    } else {
      assertThat(heard)
          .as("what the client heard")
          .isEqualTo(new Close(Close.PROTOCOL_ERROR, outcome));
    }
  }

  private static String expectedOutcome(SessionMessage message, Fault fault) {
    boolean refused = REFUSED_WHEN_CLEAN.contains(message.getClass());
    boolean notPermitted = NOT_PERMITTED_WHEN_CLEAN.contains(message.getClass());
    return switch (fault) {
      case DRIPPED -> refused ? "malformed" : notPermitted ? "not-permitted" : "closed";
      case CORRUPTED, REORDERED -> "integrity";
      case DUPLICATED ->
          refused
              ? "malformed"
              : notPermitted ? "not-permitted" : message instanceof Close ? "closed" : "integrity";
      case TRUNCATED, CUT_OFF -> "malformed";
    };
  }

  private static byte[] seal(SecureChannel channel, ByteArrayOutputStream held, SessionMessage m)
      throws IOException {
    channel.send(m);
    byte[] frame = held.toByteArray();
    held.reset();
    return frame;
  }

  private static void deliver(
      RawClient client,
      SecureChannel channel,
      ByteArrayOutputStream held,
      byte[] frame,
      Fault fault,
      SessionMessage message)
      throws IOException {
    switch (fault) {
      case DRIPPED -> {
        for (byte b : frame) {
          client.send(new byte[] {b});
        }
        if (!(message instanceof Close)) {
          client.send(seal(channel, held, new Close(Close.NORMAL, "done")));
        }
      }
      case CORRUPTED -> {
        frame[frame.length - 1] ^= 0x01;
        client.send(frame);
      }
      case DUPLICATED -> {
        client.send(frame);
        client.send(frame);
      }
      case REORDERED -> {
        byte[] later = seal(channel, held, new SessionMessage.Ping(99));
        client.send(later);
        client.send(frame);
      }
      case TRUNCATED -> {
        client.send(Arrays.copyOf(frame, frame.length / 2));
        client.shutdownOutput();
      }
      case CUT_OFF -> {
        client.send(Arrays.copyOf(frame, FrameCodec.HEADER_BYTES));
        client.close();
      }
    }
  }

  /** The ids of every connection the audit log has named so far. */
  private static Set<String> connectionsSoFar() {
    return server.auditEvents().stream()
        .map(e -> e.path("conn").asText())
        .collect(java.util.stream.Collectors.toSet());
  }

  /**
   * The event {@code name} of the connection from local {@code port} that is not one of {@code
   * earlier}: Linux hands a local port out again as soon as the server closed first, so an earlier
   * case of this matrix may have used the same one (CI saw its outcome read for a later case).
   */
  private static JsonNode awaitNewEvent(String name, int port, Set<String> earlier) {
    return server.awaitEvent(
        name,
        e ->
            e.path("remote").asText().endsWith(":" + port)
                && !earlier.contains(e.path("conn").asText()));
  }

  /** Reads until the server ends the session; returns its CLOSE, or null if it sent none. */
  private static Close lastClose(SecureChannel channel) {
    Close last = null;
    try {
      while (true) {
        if (channel.receive() instanceof Close close) {
          last = close;
        }
      }
    } catch (IOException endOfSession) {
      return last;
    }
  }

  enum AuthFault {
    DRIPPED,
    CORRUPTED,
    DUPLICATED,
    TRUNCATED,
    CUT_OFF,
    /** AUTH says protocol version 1 (before host keys). */
    OLD_VERSION,
    /** The client reads HELLO and closes, as one that does not trust the host key does. */
    NO_AUTH
  }

  @ParameterizedTest(name = "AUTH {0}")
  @org.junit.jupiter.params.provider.EnumSource(AuthFault.class)
  void aHostileAuthEndsAsDocumented(AuthFault fault) throws IOException {
    int port;
    Frame answer = null;
    Set<String> earlier = connectionsSoFar();
    try (RawClient client = RawClient.connect(server.port())) {
      port = client.localPort();
      ClientHandshake handshake =
          new ClientHandshake(sensor.identity(), RawClient.ANY_HOST_KEY, RandomSource.secure());
      byte[] auth = handshake.onHello(client.readFrame());
      switch (fault) {
        case DRIPPED -> {
          for (byte b : auth) {
            client.send(new byte[] {b});
          }
        }
        case CORRUPTED -> {
          auth[auth.length - 1] ^= 0x01;
          client.send(auth);
        }
        case DUPLICATED -> {
          client.send(auth);
          client.send(auth);
        }
        case TRUNCATED -> {
          client.send(Arrays.copyOf(auth, auth.length / 2));
          client.shutdownOutput();
        }
        case CUT_OFF -> {
          client.send(Arrays.copyOf(auth, FrameCodec.HEADER_BYTES));
          client.close();
        }
        case OLD_VERSION -> {
          auth[FrameCodec.HEADER_BYTES + 1] = 1;
          client.send(auth);
        }
        case NO_AUTH -> client.close();
      }
      if (fault != AuthFault.CUT_OFF && fault != AuthFault.NO_AUTH) {
        answer = client.readFrame();
      }
    }
    switch (fault) {
      case DRIPPED, DUPLICATED -> {
        assertThat(answer.type()).isEqualTo(FrameType.WELCOME);
        JsonNode accepted = awaitNewEvent("auth.accepted", port, earlier);
        assertThat(accepted.path("client_id").asText()).isEqualTo("sensor-1");
        JsonNode closed = awaitNewEvent("session.closed", port, earlier);
        // A second AUTH arrives as an unsealed frame inside the session.
        assertThat(closed.path("outcome").asText())
            .isEqualTo(fault == AuthFault.DUPLICATED ? "malformed" : "connection-lost");
      }
      case CORRUPTED, TRUNCATED, CUT_OFF, NO_AUTH -> {
        if (answer != null) {
          assertThat(answer.type()).isEqualTo(FrameType.REFUSED);
          assertThat(answer.payload()).containsExactly(0x02);
        }
        JsonNode rejected = awaitNewEvent("auth.rejected", port, earlier);
        assertThat(rejected.path("reason").asText()).isEqualTo("malformed");
      }
      case OLD_VERSION -> {
        assertThat(answer.type()).isEqualTo(FrameType.REFUSED);
        assertThat(answer.payload()).containsExactly(0x03);
        JsonNode rejected = awaitNewEvent("auth.rejected", port, earlier);
        assertThat(rejected.path("reason").asText()).isEqualTo("unsupported-version");
      }
    }
  }
}
