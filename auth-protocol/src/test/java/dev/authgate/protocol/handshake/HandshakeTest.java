package dev.authgate.protocol.handshake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.crypto.ScramKeys;
import dev.authgate.protocol.frame.Frame;
import dev.authgate.protocol.frame.FrameCodec;
import dev.authgate.protocol.handshake.VerifierLookup.KeyStatus;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** Both state machines driven against each other through bytes only. */
class HandshakeTest {
  private static final RandomSource RANDOM = RandomSource.secure();
  private final ScramKeys sensorKeys = ScramKeys.fromSaltedPassword(RANDOM.bytes(32));
  private final InMemoryKeys keystore =
      new InMemoryKeys().put("sensor-1", "k1", sensorKeys.verifier());

  private static Frame frame(byte[] wire) throws IOException {
    return FrameCodec.read(new ByteArrayInputStream(wire), FrameCodec.PRE_AUTH_MAX_PAYLOAD);
  }

  private ClientHandshake client(String id, ScramKeys keys) {
    return new ClientHandshake(new ClientIdentity(id, "k1", keys), RANDOM);
  }

  private ServerHandshake server() {
    return new ServerHandshake(keystore, "test-server", RANDOM);
  }

  @Test
  void aClientHoldingTheSecretIsAcceptedAndBothSidesShareSessionKeys() throws IOException {
    ServerHandshake server = server();
    ClientHandshake client = client("sensor-1", sensorKeys);

    byte[] auth = client.onHello(frame(server.hello()));
    ServerHandshake.Accepted accepted = server.onAuth(frame(auth));
    ClientHandshake.Established established = client.onWelcome(frame(accepted.welcomeFrame()));

    assertThat(accepted.clientId()).isEqualTo("sensor-1");
    assertThat(accepted.keyId()).isEqualTo("k1");
    assertThat(established.serverId()).isEqualTo("test-server");
    assertThat(established.keys().clientToServer().key())
        .isEqualTo(accepted.keys().clientToServer().key());
    assertThat(established.keys().serverToClient().iv())
        .isEqualTo(accepted.keys().serverToClient().iv());
    assertThat(established.keys().clientToServer().key())
        .isNotEqualTo(established.keys().serverToClient().key());
  }

  @Test
  void aServerWithPairsMadeAheadUsesEachForOneHelloAndStillVerifies() throws IOException {
    try (var pool = new dev.authgate.protocol.crypto.X25519KeyPool(RANDOM, 2, "test-keys")) {
      ServerHandshake first = new ServerHandshake(keystore, "test-server", RANDOM, pool);
      ServerHandshake second = new ServerHandshake(keystore, "test-server", RANDOM, pool);
      byte[] firstHello = first.hello();
      byte[] secondHello = second.hello();
      assertThat(Hello.decode(frame(firstHello).payload()).serverPublic())
          .isNotEqualTo(Hello.decode(frame(secondHello).payload()).serverPublic());

      ClientHandshake client = client("sensor-1", sensorKeys);
      ServerHandshake.Accepted accepted = second.onAuth(frame(client.onHello(frame(secondHello))));
      assertThat(client.onWelcome(frame(accepted.welcomeFrame())).keys().clientToServer().key())
          .isEqualTo(accepted.keys().clientToServer().key());
    }
  }

  @Test
  void rejectsProofMadeWithAnotherKey() throws IOException {
    ServerHandshake server = server();
    byte[] auth =
        client("sensor-1", ScramKeys.fromSaltedPassword(RANDOM.bytes(32)))
            .onHello(frame(server.hello()));

    assertRejected(() -> server.onAuth(frame(auth)), Reason.BAD_PROOF, "sensor-1");
  }

  @Test
  void rejectsAnUnknownClientWithTheSameRefusalBytesAsABadProof() throws IOException {
    ServerHandshake server = server();
    byte[] auth = client("nobody", sensorKeys).onHello(frame(server.hello()));

    assertRejected(() -> server.onAuth(frame(auth)), Reason.UNKNOWN_CLIENT, "nobody");
    assertThat(ServerHandshake.refusalFrame(Reason.UNKNOWN_CLIENT))
        .isEqualTo(ServerHandshake.refusalFrame(Reason.BAD_PROOF))
        .isEqualTo(ServerHandshake.refusalFrame(Reason.REVOKED_KEY));
  }

  @Test
  void rejectsARevokedKeyEvenWithAValidProof() throws IOException {
    keystore.put("sensor-1", "k1", sensorKeys.verifier(), KeyStatus.REVOKED);
    ServerHandshake server = server();
    byte[] auth = client("sensor-1", sensorKeys).onHello(frame(server.hello()));

    assertRejected(() -> server.onAuth(frame(auth)), Reason.REVOKED_KEY, "sensor-1");
  }

  @Test
  void rejectsAnExpiredKey() throws IOException {
    keystore.put("sensor-1", "k1", sensorKeys.verifier(), KeyStatus.EXPIRED);
    ServerHandshake server = server();
    byte[] auth = client("sensor-1", sensorKeys).onHello(frame(server.hello()));

    assertRejected(() -> server.onAuth(frame(auth)), Reason.EXPIRED_KEY, "sensor-1");
  }

  @Test
  void rejectsAnAuthReplayedFromAnEarlierConnection() throws IOException {
    ServerHandshake first = server();
    byte[] recorded = client("sensor-1", sensorKeys).onHello(frame(first.hello()));
    first.onAuth(frame(recorded));

    ServerHandshake second = server();
    second.hello();
    assertRejected(() -> second.onAuth(frame(recorded)), Reason.MALFORMED, null);
  }

  @Test
  void rejectsAClaimedIdThatIsNotAValidIdAsUnknownClient() throws IOException {
    ServerHandshake server = server();
    byte[] auth = client("evil\r\nid", sensorKeys).onHello(frame(server.hello()));

    assertRejected(() -> server.onAuth(frame(auth)), Reason.UNKNOWN_CLIENT, "evil\r\nid");
  }

  @Test
  void theClientIdNeverCrossesTheWireInClear() throws IOException {
    ServerHandshake server = server();
    byte[] hello = server.hello();
    byte[] auth = client("sensor-1", sensorKeys).onHello(frame(hello));
    byte[] welcome = server.onAuth(frame(auth)).welcomeFrame();

    String wire =
        new String(hello, StandardCharsets.ISO_8859_1)
            + new String(auth, StandardCharsets.ISO_8859_1)
            + new String(welcome, StandardCharsets.ISO_8859_1);
    assertThat(wire).doesNotContain("sensor-1");
  }

  @Test
  void authIsTheSameSizeWhateverTheClientIdLength() throws IOException {
    byte[] shortId = client("a", sensorKeys).onHello(frame(server().hello()));
    byte[] longId = client("a".repeat(64), sensorKeys).onHello(frame(server().hello()));
    assertThat(shortId).hasSameSizeAs(longId);
  }

  @Test
  void theClientRefusesAServerThatDoesNotHoldItsVerifier() throws IOException {
    RogueServerHandshake rogue =
        new RogueServerHandshake(ScramKeys.fromSaltedPassword(RANDOM.bytes(32)).verifier());
    ClientHandshake client = client("sensor-1", sensorKeys);
    byte[] auth = client.onHello(frame(rogue.hello()));
    byte[] welcome = rogue.welcome(frame(auth));

    assertThatThrownBy(() -> client.onWelcome(frame(welcome)))
        .isInstanceOf(ProtocolException.class)
        .extracting(e -> ((ProtocolException) e).reason())
        .isEqualTo(Reason.SERVER_NOT_VERIFIED);
  }

  @Test
  void aServerHoldingOnlyTheKeystoreCannotProduceAClientProof() throws IOException {
    // Everything the keystore holds, used as if it were a secret or a ClientKey, fails.
    ServerHandshake server = server();
    byte[] hello = server.hello();
    ScramKeys fromStoredKey = ScramKeys.fromSaltedPassword(sensorKeys.verifier().storedKey());
    byte[] auth = client("sensor-1", fromStoredKey).onHello(frame(hello));
    assertRejected(() -> server.onAuth(frame(auth)), Reason.BAD_PROOF, "sensor-1");

    ServerHandshake again = server();
    ScramKeys fromServerKey = ScramKeys.fromSaltedPassword(sensorKeys.verifier().serverKey());
    byte[] auth2 = client("sensor-1", fromServerKey).onHello(frame(again.hello()));
    assertRejected(() -> again.onAuth(frame(auth2)), Reason.BAD_PROOF, "sensor-1");
  }

  @Test
  void theClientReportsARefusalInsteadOfHello() throws IOException {
    byte[] refusal = ServerHandshake.refusalFrame(Reason.OVERLOADED);
    assertThatThrownBy(() -> client("sensor-1", sensorKeys).onHello(frame(refusal)))
        .isInstanceOf(ProtocolException.class)
        .extracting(e -> ((ProtocolException) e).reason())
        .isEqualTo(Reason.OVERLOADED);
  }

  @Test
  void theClientReportsARefusalInsteadOfWelcome() throws IOException {
    ClientHandshake client = client("sensor-1", sensorKeys);
    client.onHello(frame(server().hello()));
    byte[] refusal = ServerHandshake.refusalFrame(Reason.BAD_PROOF);
    assertThatThrownBy(() -> client.onWelcome(frame(refusal)))
        .isInstanceOf(ProtocolException.class)
        .extracting(e -> ((ProtocolException) e).reason())
        .isEqualTo(Reason.REFUSED);
  }

  @Test
  void aHelloOfAnotherVersionIsUnsupported() throws IOException {
    byte[] hello = server().hello();
    hello[FrameCodec.HEADER_BYTES + 1] = 2;
    assertThatThrownBy(() -> client("sensor-1", sensorKeys).onHello(frame(hello)))
        .isInstanceOf(ProtocolException.class)
        .extracting(e -> ((ProtocolException) e).reason())
        .isEqualTo(Reason.UNSUPPORTED_VERSION);
  }

  @Test
  void anAuthOfAnotherVersionIsUnsupported() throws IOException {
    ServerHandshake server = server();
    byte[] auth = client("sensor-1", sensorKeys).onHello(frame(server.hello()));
    auth[FrameCodec.HEADER_BYTES + 1] = 9;
    assertRejected(() -> server.onAuth(frame(auth)), Reason.UNSUPPORTED_VERSION, null);
  }

  @Test
  void anAuthWithAnyFlippedBitIsRefused() throws IOException {
    for (int bit : new int[] {8 * 10, 8 * 40, 8 * 80, 8 * 200, 8 * 278 + 7}) {
      ServerHandshake server = server();
      byte[] auth = client("sensor-1", sensorKeys).onHello(frame(server.hello()));
      auth[bit / 8] ^= (byte) (1 << (bit % 8));
      assertThatThrownBy(() -> server.onAuth(frame(auth))).isInstanceOf(ProtocolException.class);
    }
  }

  @Test
  void theKeystoreIsAskedOnceForTheClaimedKeyAndNeverForAnAuthThatDoesNotOpen() throws IOException {
    VerifierLookup lookup = org.mockito.Mockito.spy(keystore);
    ServerHandshake server = new ServerHandshake(lookup, "test-server", RANDOM);
    server.onAuth(frame(client("sensor-1", sensorKeys).onHello(frame(server.hello()))));
    org.mockito.Mockito.verify(lookup).find("sensor-1", "k1");

    VerifierLookup untouched = org.mockito.Mockito.mock(VerifierLookup.class);
    ServerHandshake other = new ServerHandshake(untouched, "test-server", RANDOM);
    byte[] auth = client("sensor-1", sensorKeys).onHello(frame(server().hello()));
    other.hello();
    assertThatThrownBy(() -> other.onAuth(frame(auth))).isInstanceOf(ProtocolException.class);
    org.mockito.Mockito.verifyNoInteractions(untouched);
  }

  @Test
  void tenThousandChallengesAreDistinct() throws IOException {
    Set<String> challenges = new HashSet<>();
    for (int i = 0; i < 10_000; i++) {
      Hello hello = (Hello) HandshakeMessage.decode(frame(server().hello()));
      challenges.add(java.util.HexFormat.of().formatHex(hello.challenge()));
    }
    assertThat(challenges).hasSize(10_000);
  }

  private static void assertRejected(ThrowingCallable call, Reason reason, String claimedId) {
    assertThatThrownBy(call)
        .isInstanceOf(ProtocolException.class)
        .satisfies(
            e -> {
              ProtocolException pe = (ProtocolException) e;
              assertThat(pe.reason()).isEqualTo(reason);
              assertThat(pe.claimedClientId()).isEqualTo(claimedId);
            });
  }
}
