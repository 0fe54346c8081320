package dev.authgate.protocol.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.crypto.ScramKeys;
import dev.authgate.protocol.datagram.Datagram;
import dev.authgate.protocol.datagram.DatagramKeys;
import dev.authgate.protocol.frame.Frame;
import dev.authgate.protocol.frame.FrameCodec;
import dev.authgate.protocol.frame.FrameType;
import dev.authgate.protocol.handshake.ClientHandshake;
import dev.authgate.protocol.handshake.ServerHandshake;
import dev.authgate.protocol.handshake.VerifierLookup;
import dev.authgate.protocol.identity.HostKey;
import dev.authgate.protocol.identity.HostKeyCheck;
import dev.authgate.protocol.identity.HostKeySet;
import dev.authgate.protocol.keyfile.ClientIdentity;
import dev.authgate.protocol.keyfile.KeyStatus;
import dev.authgate.protocol.proxy.ProxyHeader;
import dev.authgate.protocol.session.SessionMessage;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.util.Arrays;
import java.util.Optional;

/**
 * Fuzz targets for everything in the protocol module that reads peer bytes. In {@code mvn verify}
 * each runs over its committed corpus ({@code src/test/resources/.../ProtocolFuzzTestInputs/});
 * {@code bin/fuzz NAME DURATION} fuzzes one. The rules every target checks: only {@link
 * ProtocolException} (or end-of-stream) may escape, and where a round trip exists, what parses
 * re-encodes to the same bytes.
 */
class ProtocolFuzzTest {
  /** Deterministic "randomness": the fuzzer must be able to replay an input exactly. */
  private static final RandomSource FIXED = length -> new byte[length];

  private static final ScramKeys KEYS = ScramKeys.fromSaltedPassword(new byte[32]);
  private static final HostKey FUZZ_HOST = HostKey.fromSeed(new byte[32]);

  @FuzzTest
  void frameDecoderAcceptsOnlyWellFormedFramesAndReencodesThem(FuzzedDataProvider data)
      throws Exception {
    byte[] input = data.consumeRemainingAsBytes();
    for (int cap : new int[] {FrameCodec.PRE_AUTH_MAX_PAYLOAD, FrameCodec.SESSION_MAX_PAYLOAD}) {
      ByteArrayInputStream in = new ByteArrayInputStream(input);
      Frame frame;
      try {
        frame = FrameCodec.read(in, cap);
      } catch (ProtocolException | EOFException expected) {
        continue;
      }
      assertThat(frame.payload().length).isLessThanOrEqualTo(cap);
      byte[] consumed = Arrays.copyOf(input, input.length - in.available());
      assertThat(FrameCodec.encode(frame.type(), frame.payload())).isEqualTo(consumed);
    }
  }

  @FuzzTest
  void sessionMessagesThatParseReencodeToTheSameBytes(FuzzedDataProvider data) {
    byte[] plain = data.consumeRemainingAsBytes();
    SessionMessage message;
    try {
      message = SessionMessage.decode(plain);
    } catch (ProtocolException expected) {
      return;
    }
    byte[] again = new byte[1 + message.body().length];
    again[0] = (byte) message.type();
    System.arraycopy(message.body(), 0, again, 1, message.body().length);
    assertThat(again).isEqualTo(plain);
  }

  @FuzzTest
  void theServerHandshakeRefusesAnyFrameThatIsNotAValidAuth(FuzzedDataProvider data) {
    VerifierLookup lookup =
        (id, kid) -> Optional.of(new VerifierLookup.KeyRecord(KEYS.verifier(), KeyStatus.ACTIVE));
    ServerHandshake server = new ServerHandshake(lookup, "fuzz", HostKeySet.of(FUZZ_HOST), FIXED);
    server.hello();
    FrameType type = data.pickValue(FrameType.values());
    byte[] payload = data.consumeRemainingAsBytes();
    try {
      server.onAuth(new Frame(type, FrameCodec.header(type, payload.length), payload));
    } catch (ProtocolException expected) {
      return;
    }
    throw new AssertionError("a frame not made with the client's key was accepted");
  }

  @FuzzTest
  void theClientHandshakeRefusesAnyHelloOrWelcomeItCannotVerify(FuzzedDataProvider data) {
    ClientHandshake client =
        new ClientHandshake(
            new ClientIdentity("fuzz-1", "k1", KEYS),
            HostKeyCheck.pinned(java.util.List.of(FUZZ_HOST.publicKey().fingerprint())),
            FIXED);
    FrameType helloType = data.pickValue(FrameType.values());
    byte[] hello = data.consumeBytes(200);
    FrameType welcomeType = data.pickValue(FrameType.values());
    byte[] welcome = data.consumeRemainingAsBytes();
    try {
      client.onHello(new Frame(helloType, FrameCodec.header(helloType, hello.length), hello));
      client.onWelcome(
          new Frame(welcomeType, FrameCodec.header(welcomeType, welcome.length), welcome));
    } catch (ProtocolException expected) {
      return;
    }
    throw new AssertionError("a WELCOME not made with the client's server key was accepted");
  }

  @FuzzTest
  void proxyHeadersParseOnlyWithinTheirCapsAndEncodeBackToTheirAddresses(FuzzedDataProvider data)
      throws Exception {
    byte[] input = data.consumeRemainingAsBytes();
    ByteArrayInputStream in = new ByteArrayInputStream(input);
    ProxyHeader header;
    try {
      header = ProxyHeader.read(in);
    } catch (ProtocolException | EOFException expected) {
      return;
    }
    assertThat(header.length())
        .isBetween(
            ProxyHeader.FIXED_LENGTH, ProxyHeader.FIXED_LENGTH + ProxyHeader.MAX_VARIABLE_LENGTH)
        .isEqualTo(input.length - in.available());
    if (header.source() != null) {
      assertThat(header.command()).isEqualTo(ProxyHeader.Command.PROXY);
      ProxyHeader again = ProxyHeader.parse(header.encode());
      assertThat(again.source()).isEqualTo(header.source());
      assertThat(again.destination()).isEqualTo(header.destination());
    }
  }

  private static final byte[] FUZZ_CHANNEL = {1, 2, 3, 4, 5, 6, 7, 8};
  private static final DatagramKeys FUZZ_DATAGRAM_KEYS =
      DatagramKeys.derive(new byte[32], FUZZ_CHANNEL);

  @FuzzTest
  void datagramsOpenOnlyIfSealedForTheirChannelAndResealToTheSameBytes(FuzzedDataProvider data)
      throws Exception {
    byte[] input = data.consumeRemainingAsBytes();
    Datagram receiver = new Datagram(FUZZ_CHANNEL, FUZZ_DATAGRAM_KEYS.clientToServer());
    Datagram.Opened opened;
    try {
      opened = receiver.open(input, input.length);
    } catch (ProtocolException expected) {
      return;
    }
    byte[] again =
        new Datagram(FUZZ_CHANNEL, FUZZ_DATAGRAM_KEYS.clientToServer())
            .seal(opened.sequence(), opened.type(), opened.body());
    assertThat(again).isEqualTo(input);
  }
}
