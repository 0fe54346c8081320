package dev.authgate.protocol.handshake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.authgate.protocol.PenalizedException;
import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.crypto.ScramKeys;
import dev.authgate.protocol.crypto.X25519KeyPair;
import dev.authgate.protocol.crypto.X25519KeyPool;
import dev.authgate.protocol.frame.Frame;
import dev.authgate.protocol.frame.FrameCodec;
import dev.authgate.protocol.frame.FrameType;
import dev.authgate.protocol.identity.HostKey;
import dev.authgate.protocol.identity.HostKeyCheck;
import dev.authgate.protocol.identity.HostKeySet;
import dev.authgate.protocol.keyfile.ClientIdentity;
import dev.authgate.protocol.keyfile.KeyStatus;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** Both state machines driven against each other through bytes only. */
class HandshakeTest {
  private static final RandomSource RANDOM = RandomSource.secure();
  private static final HostKey HOST = HostKey.generate(RANDOM);
  private static final HostKeyCheck PINNED =
      HostKeyCheck.pinned(List.of(HOST.publicKey().fingerprint()));
  private final ScramKeys sensorKeys = ScramKeys.fromSaltedPassword(RANDOM.bytes(32));
  private final InMemoryKeys keystore =
      new InMemoryKeys().put("sensor-1", "k1", sensorKeys.verifier());

  private static Frame frame(byte[] wire) throws IOException {
    return FrameCodec.read(new ByteArrayInputStream(wire), FrameCodec.PRE_AUTH_MAX_PAYLOAD);
  }

  private ClientHandshake client(String id, ScramKeys keys) {
    return new ClientHandshake(new ClientIdentity(id, "k1", keys), PINNED, RANDOM);
  }

  private ServerHandshake server() {
    return new ServerHandshake(keystore, "test-server", HostKeySet.of(HOST), RANDOM);
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
    try (var pool = new X25519KeyPool(RANDOM, 2, "test-keys")) {
      ServerHandshake first =
          new ServerHandshake(keystore, "test-server", HostKeySet.of(HOST), RANDOM, pool);
      ServerHandshake second =
          new ServerHandshake(keystore, "test-server", HostKeySet.of(HOST), RANDOM, pool);
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
        .isEqualTo(ServerHandshake.refusalFrame(Reason.BAD_PROOF));
  }

  @Test
  void aWrongProofForARevokedOrPendingKeyIsAPlainBadProof() throws IOException {
    // Only a client whose proof verified learns its key's state: a stranger guessing at a
    // revoked or pending id gets the same bad-proof refusal as for any other.
    for (KeyStatus status : List.of(KeyStatus.REVOKED, KeyStatus.PENDING, KeyStatus.EXPIRED)) {
      keystore.put("sensor-1", "k1", sensorKeys.verifier(), status);
      ServerHandshake server = server();
      byte[] auth =
          client("sensor-1", ScramKeys.fromSaltedPassword(RANDOM.bytes(32)))
              .onHello(frame(server.hello()));
      assertRejected(() -> server.onAuth(frame(auth)), Reason.BAD_PROOF, "sensor-1");
    }
  }

  @Test
  void aClientWhoseProofVerifiedIsToldWhetherItsKeyIsPendingRevokedOrExpired() throws IOException {
    Map<KeyStatus, Reason> told =
        Map.of(
            KeyStatus.PENDING, Reason.PENDING_APPROVAL,
            KeyStatus.REVOKED, Reason.REVOKED_KEY,
            KeyStatus.EXPIRED, Reason.EXPIRED_KEY);
    for (Map.Entry<KeyStatus, Reason> entry : told.entrySet()) {
      keystore.put("sensor-1", "k1", sensorKeys.verifier(), entry.getKey());
      ServerHandshake server = server();
      ClientHandshake client = client("sensor-1", sensorKeys);
      byte[] auth = client.onHello(frame(server.hello()));
      ProtocolException refused =
          catchThrowableOfType(ProtocolException.class, () -> server.onAuth(frame(auth)));
      assertThat(refused.reason()).isEqualTo(entry.getValue());
      byte[] sent = ServerHandshake.refusalFrame(refused.reason());
      assertThatThrownBy(() -> client.onWelcome(frame(sent)))
          .isInstanceOf(ProtocolException.class)
          .extracting(e -> ((ProtocolException) e).reason())
          .isEqualTo(entry.getValue());
    }
  }

  @Test
  void aPenalisedAddressIsToldHowLongThePenaltyHasLeft() throws IOException {
    byte[] refusal = ServerHandshake.refusalFrame(Refusal.penalized(Duration.ofMillis(41_200)));
    assertThat(refusal).endsWith(0x06, 0x00, 42);
    assertThatThrownBy(() -> client("sensor-1", sensorKeys).onHello(frame(refusal)))
        .isInstanceOfSatisfying(
            PenalizedException.class,
            e -> {
              assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(42));
              assertThat(e.getMessage())
                  .isEqualTo(
                      "too many failed attempts from this address: the server refuses it for"
                          + " another 42 s");
            });
  }

  @Test
  void aRefusalOfTheWrongLengthOrAnUnknownCodeIsAProtocolError() {
    for (byte[] payload :
        List.of(
            new byte[0],
            new byte[] {0x06},
            new byte[] {0x06, 0, 1, 2},
            new byte[] {0x06, 0, 0},
            new byte[] {0x01, 0},
            new byte[] {0x0b})) {
      assertThatThrownBy(() -> Refusal.decode(payload))
          .isInstanceOf(ProtocolException.class)
          .extracting(e -> ((ProtocolException) e).reason())
          .isEqualTo(Reason.MALFORMED);
    }
    assertThat(Refusal.penalized(Duration.ofDays(3)).retryAfterSeconds())
        .isEqualTo(Refusal.MOST_SECONDS);
    assertThat(Refusal.penalized(Duration.ofMillis(1)).retryAfterSeconds()).isEqualTo(1);
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
    ClientHandshake client =
        new ClientHandshake(
            new ClientIdentity("sensor-1", "k1", sensorKeys),
            HostKeyCheck.pinned(List.of(RogueServerHandshake.HOST.publicKey().fingerprint())),
            RANDOM);
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
    hello[FrameCodec.HEADER_BYTES + 1] = 3;
    assertThatThrownBy(() -> client("sensor-1", sensorKeys).onHello(frame(hello)))
        .isInstanceOf(ProtocolException.class)
        .extracting(e -> ((ProtocolException) e).reason())
        .isEqualTo(Reason.UNSUPPORTED_VERSION);
  }

  @Test
  void aVersionOneServersHelloIsRefusedWithWhatToUpgrade() throws IOException {
    byte[] v1 =
        FrameCodec.encode(
            FrameType.HELLO,
            java.nio.ByteBuffer.allocate(66).putShort((short) 1).put(RANDOM.bytes(64)).array());
    assertThatThrownBy(() -> client("sensor-1", sensorKeys).onHello(frame(v1)))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("the server speaks protocol version 1 (older: before host keys)")
        .hasMessageContaining("upgrade the server")
        .extracting(e -> ((ProtocolException) e).reason())
        .isEqualTo(Reason.UNSUPPORTED_VERSION);
  }

  @Test
  void aServerHoldingEveryVerifierButNotTheHostKeyGetsNoAuthFromAPinnedClient() throws IOException {
    // A copy of the keystore: the same verifiers, its own host key.
    ServerHandshake rogue =
        new ServerHandshake(
            keystore, "test-server", HostKeySet.of(HostKey.generate(RANDOM)), RANDOM);
    ClientHandshake client = client("sensor-1", sensorKeys);
    byte[] hello = rogue.hello();
    assertThatThrownBy(() -> client.onHello(frame(hello)))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("is not the one pinned (" + HOST.publicKey().fingerprint() + ")")
        .extracting(e -> ((ProtocolException) e).reason())
        .isEqualTo(Reason.HOST_KEY_NOT_TRUSTED);
    assertThatThrownBy(() -> client.onWelcome(frame(hello)))
        .isInstanceOf(IllegalStateException.class); // failed: nothing more comes out of it
  }

  @Test
  void aHelloWhoseSignatureDoesNotCoverItsBytesIsNotVerified() throws IOException {
    // Every signed byte (version excepted), and the signature itself.
    for (int offset : new int[] {2, 33, 34, 65, 66, 97, 98, 161}) {
      byte[] hello = server().hello();
      hello[FrameCodec.HEADER_BYTES + offset] ^= 0x01;
      assertThatThrownBy(() -> client("sensor-1", sensorKeys).onHello(frame(hello)))
          .as("byte %d flipped", offset)
          .isInstanceOf(ProtocolException.class)
          .extracting(e -> ((ProtocolException) e).reason())
          .isIn(Reason.SERVER_NOT_VERIFIED, Reason.HOST_KEY_NOT_TRUSTED);
    }
  }

  @Test
  void aReplayedHelloSignedForAnotherEphemeralKeyDoesNotVerify() throws IOException {
    Hello genuine = Hello.decode(frame(server().hello()).payload());
    Hello spliced =
        new Hello(
            genuine.version(),
            genuine.challenge(),
            X25519KeyPair.generate(RANDOM).publicKey(),
            genuine.hostPublic(),
            genuine.hostSignature());
    byte[] wire = FrameCodec.encode(FrameType.HELLO, spliced.encode());
    assertThatThrownBy(() -> client("sensor-1", sensorKeys).onHello(frame(wire)))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("is not signed by the host key it names")
        .extracting(e -> ((ProtocolException) e).reason())
        .isEqualTo(Reason.SERVER_NOT_VERIFIED);
  }

  @Test
  void welcomeAnnouncesTheNextAndRetiredHostKeysToAVerifiedClient() throws IOException {
    HostKey next = HostKey.generate(RANDOM);
    String retired = HostKey.generate(RANDOM).publicKey().fingerprint();
    ServerHandshake server =
        new ServerHandshake(
            keystore,
            "test-server",
            new HostKeySet(HOST, List.of(next.publicKey()), List.of(retired)),
            RANDOM);
    ClientHandshake client = client("sensor-1", sensorKeys);
    ServerHandshake.Accepted accepted = server.onAuth(frame(client.onHello(frame(server.hello()))));
    ClientHandshake.Established established = client.onWelcome(frame(accepted.welcomeFrame()));
    assertThat(established.hostKey()).isEqualTo(HOST.publicKey());
    assertThat(established.nextHostKeys()).containsExactly(next.publicKey());
    assertThat(established.retiredHostKeys()).containsExactly(retired);
    assertThat(established.serverId()).isEqualTo("test-server");
  }

  /** A rotate announcement's 32 bytes: {@code refuse_after u64 | 24 zero bytes}. */
  private static byte[] rotateAsk(long refuseAfter) {
    return java.nio.ByteBuffer.allocate(32).putLong(refuseAfter).array();
  }

  @Test
  void aVerifiedServersMalformedAnnouncementsAreAProtocolError() throws IOException {
    byte[] next = HostKey.generate(RANDOM).publicKey().bytes();
    byte[] notAPoint = new byte[32];
    notAPoint[0] = 2; // y = 2 is not on the curve
    List<byte[]> bad =
        List.of(
            new byte[0], // no count
            new byte[] {1}, // count 1, no entry
            concat(new byte[] {1, 3}, next), // unknown kind
            concat(new byte[] {1, 1}, notAPoint), // not an Ed25519 key
            concat(new byte[] {2, 1}, next), // count says 2, one entry
            concat(new byte[] {1, 1}, next, new byte[] {0}), // a byte too many
            concat(new byte[] {9}, new byte[9 * 33]), // more than 8
            concat(new byte[] {1, 3}, rotateAsk(253_402_300_800L)), // a deadline past year 9999
            concat(new byte[] {1, 3}, rotateAsk(-1L)), // 2^64 - 1
            concat(new byte[] {2, 3}, rotateAsk(0), new byte[] {3}, rotateAsk(0))); // two asks
    for (byte[] announcements : bad) {
      RogueServerHandshake rogue = new RogueServerHandshake(sensorKeys.verifier());
      ClientHandshake client =
          new ClientHandshake(
              new ClientIdentity("sensor-1", "k1", sensorKeys),
              HostKeyCheck.pinned(List.of(RogueServerHandshake.HOST.publicKey().fingerprint())),
              RANDOM);
      byte[] auth = client.onHello(frame(rogue.hello()));
      byte[] welcome = rogue.welcome(frame(auth), announcements);
      assertThatThrownBy(() -> client.onWelcome(frame(welcome)))
          .as("announcements %s", java.util.HexFormat.of().formatHex(announcements))
          .isInstanceOf(ProtocolException.class)
          .extracting(e -> ((ProtocolException) e).reason())
          .isEqualTo(Reason.MALFORMED);
    }
    // and a well-formed one from the same server is accepted
    RogueServerHandshake rogue = new RogueServerHandshake(sensorKeys.verifier());
    ClientHandshake client =
        new ClientHandshake(
            new ClientIdentity("sensor-1", "k1", sensorKeys),
            HostKeyCheck.pinned(List.of(RogueServerHandshake.HOST.publicKey().fingerprint())),
            RANDOM);
    byte[] auth = client.onHello(frame(rogue.hello()));
    assertThat(
            client
                .onWelcome(frame(rogue.welcome(frame(auth), concat(new byte[] {1, 1}, next))))
                .nextHostKeys())
        .hasSize(1);
  }

  private static byte[] concat(byte[]... parts) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  @Test
  void aClientThatPinsTheNextKeyAcceptsAServerSigningWithItAfterTheRotation() throws IOException {
    HostKey next = HostKey.generate(RANDOM);
    ServerHandshake rotated =
        new ServerHandshake(
            keystore,
            "test-server",
            new HostKeySet(next, List.of(), List.of(HOST.publicKey().fingerprint())),
            RANDOM);
    ClientHandshake client =
        new ClientHandshake(
            new ClientIdentity("sensor-1", "k1", sensorKeys),
            HostKeyCheck.pinned(
                List.of(HOST.publicKey().fingerprint(), next.publicKey().fingerprint())),
            RANDOM);
    ServerHandshake.Accepted accepted =
        rotated.onAuth(frame(client.onHello(frame(rotated.hello()))));
    assertThat(client.onWelcome(frame(accepted.welcomeFrame())).retiredHostKeys())
        .containsExactly(HOST.publicKey().fingerprint());
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
    ServerHandshake server =
        new ServerHandshake(lookup, "test-server", HostKeySet.of(HOST), RANDOM);
    server.onAuth(frame(client("sensor-1", sensorKeys).onHello(frame(server.hello()))));
    org.mockito.Mockito.verify(lookup).find("sensor-1", "k1");

    VerifierLookup untouched = org.mockito.Mockito.mock(VerifierLookup.class);
    ServerHandshake other =
        new ServerHandshake(untouched, "test-server", HostKeySet.of(HOST), RANDOM);
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
