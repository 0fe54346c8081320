package dev.authgate.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.frame.FrameCodec;
import dev.authgate.protocol.handshake.ServerHandshake;
import dev.authgate.protocol.handshake.ServerHandshake.Accepted;
import dev.authgate.protocol.handshake.VerifierLookup;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.keyfile.KeyFiles;
import dev.authgate.protocol.session.SecureChannel;
import dev.authgate.protocol.session.SessionMessage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The real {@code auth-client ping} against a scripted server that holds the client's verifier (so
 * it can complete the protocol) but stops, stalls, drips, corrupts, truncates or duplicates at one
 * step: HELLO, WELCOME or the PONG. Each case asserts the client's exit code and that it says why
 * in one line.
 */
class HostileServerMatrixTest {
  @TempDir Path dir;

  enum Step {
    HELLO,
    WELCOME,
    PONG
  }

  enum Fault {
    STOP,
    STALL,
    DRIP,
    CORRUPT,
    TRUNCATE,
    DUPLICATE
  }

  static Stream<Arguments> cases() {
    return Arrays.stream(Step.values())
        .flatMap(s -> Arrays.stream(Fault.values()).map(f -> Arguments.of(s, f)));
  }

  /** What the documented client does: 0 ok, 3 the server is not verified, 4 anything else. */
  private static int expectedExit(Step step, Fault fault) {
    if (fault == Fault.DRIP) {
      return 0;
    }
    if (step == Step.WELCOME && fault == Fault.CORRUPT) {
      return 3;
    }
    if (step == Step.PONG && fault == Fault.DUPLICATE) {
      return 0;
    }
    return 4;
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void theClientEndsAsDocumentedWhateverTheServerDoesAtEachStep(Step step, Fault fault)
      throws Exception {
    Credential credential = new Credential("sensor-1", "k1", RandomSource.secure().bytes(32));
    Path key = dir.resolve("sensor-1.credential");
    KeyFiles.writePrivate(key, credential.format(), true);
    try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Thread script = Thread.ofVirtual().start(() -> serveOnce(listener, credential, step, fault));
      CliRun run =
          CliRun.client(
              "ping",
              "--server",
              "127.0.0.1:" + listener.getLocalPort(),
              "--key",
              key.toString(),
              "--timeout",
              "2");
      script.join(java.time.Duration.ofSeconds(10));

      assertThat(run.exit()).as("exit; stderr: %s", run.err()).isEqualTo(expectedExit(step, fault));
      if (run.exit() != 0) {
        assertThat(run.err()).startsWith("auth-client: ").hasLineCount(1);
      }
    }
  }

  private static void serveOnce(ServerSocket listener, Credential credential, Step step, Fault f) {
    VerifierLookup lookup =
        (id, kid) ->
            Optional.of(
                new VerifierLookup.KeyRecord(
                    credential.scramKeys().verifier(), VerifierLookup.KeyStatus.ACTIVE));
    try (Socket socket = listener.accept()) {
      socket.setSoTimeout(10_000);
      InputStream in = socket.getInputStream();
      OutputStream out = socket.getOutputStream();
      ServerHandshake handshake = new ServerHandshake(lookup, "scripted", RandomSource.secure());
      if (!send(out, handshake.hello(), step == Step.HELLO ? f : null)) {
        return;
      }
      Accepted accepted = handshake.onAuth(FrameCodec.read(in, FrameCodec.PRE_AUTH_MAX_PAYLOAD));
      if (!send(out, accepted.welcomeFrame(), step == Step.WELCOME ? f : null)) {
        return;
      }
      ByteArrayOutputStream held = new ByteArrayOutputStream();
      SecureChannel channel = SecureChannel.server(in, held, accepted.keys());
      SessionMessage ping = channel.receive();
      channel.send(new SessionMessage.Pong(((SessionMessage.Ping) ping).token()));
      if (!send(out, held.toByteArray(), step == Step.PONG ? f : null)) {
        return;
      }
      in.readAllBytes();
    } catch (IOException e) {
      // The client gave up first: what some cases expect.
    }
  }

  /** Sends {@code frame} with {@code fault} (or none); returns whether the script goes on. */
  private static boolean send(OutputStream out, byte[] frame, Fault fault) throws IOException {
    if (fault == null) {
      out.write(frame);
      return true;
    }
    switch (fault) {
      case STOP -> {
        return false;
      }
      case STALL -> {
        try {
          Thread.sleep(5_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return false;
      }
      case DRIP -> {
        for (byte b : frame) {
          out.write(b);
          out.flush();
        }
        return true;
      }
      case CORRUPT -> {
        byte[] bad = frame.clone();
        bad[bad.length - 1] ^= 0x01;
        out.write(bad);
        return true;
      }
      case TRUNCATE -> {
        out.write(Arrays.copyOf(frame, frame.length / 2));
        return false;
      }
      case DUPLICATE -> {
        out.write(frame);
        out.write(frame);
        return true;
      }
    }
    return true;
  }
}
