package dev.authgate.protocol.handshake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.crypto.FrameSealer;
import dev.authgate.protocol.crypto.ScramKeys;
import dev.authgate.protocol.frame.Frame;
import dev.authgate.protocol.frame.FrameCodec;
import dev.authgate.protocol.identity.HostKey;
import dev.authgate.protocol.identity.HostKeyCheck;
import dev.authgate.protocol.identity.HostKeySet;
import dev.authgate.protocol.keyfile.ClientIdentity;
import dev.authgate.protocol.session.RotateKey;
import dev.authgate.protocol.session.RotateResult;
import dev.authgate.protocol.session.SessionMessage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The self-rotation worked example of docs/PROTOCOL.md §9.3, byte for byte: §9's handshake with a
 * rotate announcement in WELCOME, then ROTATE_KEY and ROTATE_RESULT.
 */
class RotationVectorsTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final Instant REFUSE_AFTER = Instant.ofEpochSecond(1_795_000_000L);

  static final String WELCOME_PLAINTEXT =
      "06483e6a370ef143b866eb101066e55ed45ecd00c5800171d8036c211cdc7768"
          + "0d61757468676174652d64656d6f"
          + "01"
          + "03"
          + "000000006afd86c0"
          + "000000000000000000000000000000000000000000000000";
  static final String WELCOME_FRAME =
      "03000000603b94a7582e05bcfa4bcb077dc14f265bed30206192db1c685cb821"
          + "5dc4971321c4ff81d1e5e132bd53ceee8129cb2402adf56c0e961e552da10541"
          + "76c897fc4d2475a5d2f076a502338587f000d67498bcfe4214de2e4f0bc197b3"
          + "e3c09c9dd9";
  static final String ROTATE_KEY =
      "70"
          + "37c19b79cb46e9cdfbcdf0a4d0999b2180d4152a1643edf70d6b5aef2d8d70f9"
          + "59dab0b9b4791c070ae13065a16a0932e69c758d37f0a4bd7f83fdefd40e33d8";
  static final String ROTATE_RESULT_STORED =
      "71"
          + "00"
          + "02"
          + "6b32"
          + "00"
          + "0035"
          + "73746f726564206173206b6579206b323b206b6579206b3120776f726b7320756e74696c206b322069732066697273742075736564";
  static final String ROTATE_RESULT_LOCKED =
      "71"
          + "01"
          + "00"
          + "06"
          + "6c6f636b6564"
          + "0018"
          + "7468697320636c69656e74206964206973206c6f636b6564";

  @Test
  void theWelcomeThatAsksTheClientToRotate() throws IOException {
    ScramKeys keys = ScramKeys.fromSaltedPassword(HandshakeVectors.sequence(0x00, 32));
    HostKey host = HostKey.fromSeed(HandshakeVectors.sequence(0x60, 32));
    InMemoryKeys stored = new InMemoryKeys().put("sensor-1", "k1", keys.verifier());
    VerifierLookup asking =
        (id, kid) ->
            stored
                .find(id, kid)
                .map(
                    r ->
                        new VerifierLookup.KeyRecord(
                            r.verifier(),
                            r.status(),
                            new VerifierLookup.RotationAsk(REFUSE_AFTER)));
    ServerHandshake server =
        new ServerHandshake(
            asking,
            "authgate-demo",
            HostKeySet.of(host),
            new ScriptedRandom(
                List.of(
                    new byte[32],
                    new byte[32],
                    HandshakeVectors.sequence(0x20, 32),
                    HEX.parseHex(
                        "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"))));
    ClientHandshake client =
        new ClientHandshake(
            new ClientIdentity("sensor-1", "k1", keys),
            HostKeyCheck.pinned(List.of(host.publicKey().fingerprint())),
            new ScriptedRandom(
                List.of(
                    HandshakeVectors.sequence(0x40, 32),
                    HEX.parseHex(
                        "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))));
    byte[] hello = server.hello();
    byte[] auth = client.onHello(read(hello));
    assertThat(HEX.formatHex(auth))
        .as("AUTH as in §9")
        .isEqualTo(HandshakeVectorsTest.expected().get("AUTH frame"));

    byte[] welcome = server.onAuth(read(auth)).welcomeFrame();

    assertThat(HEX.formatHex(welcome)).isEqualTo(WELCOME_FRAME);
    byte[] header = java.util.Arrays.copyOfRange(welcome, 0, 5);
    byte[] plain =
        new FrameSealer(
                new KeySchedule(
                        ((Hello) HandshakeMessage.decode(read(hello))).encode(),
                        ((Auth) HandshakeMessage.decode(read(auth))).clearPart(),
                        HEX.parseHex(HandshakeVectorsTest.expected().get("X25519 shared secret")))
                    .handshakeServerToClient())
            .open(header, java.util.Arrays.copyOfRange(welcome, 5, welcome.length));
    assertThat(HEX.formatHex(plain)).isEqualTo(WELCOME_PLAINTEXT);
    ClientHandshake.Established established = client.onWelcome(read(welcome));
    assertThat(established.rotation().refuseAfter()).isEqualTo(REFUSE_AFTER);
  }

  @Test
  void theRotateKeyAndRotateResultMessages() throws Exception {
    ScramKeys fresh = ScramKeys.fromSaltedPassword(HandshakeVectors.sequence(0x20, 32));
    RotateKey rotate = new RotateKey(fresh.verifier().storedKey(), fresh.verifier().serverKey());
    assertThat(HEX.formatHex(plain(rotate))).isEqualTo(ROTATE_KEY);
    assertThat(SessionMessage.decode(HEX.parseHex(ROTATE_KEY))).isEqualTo(rotate);
    RotateResult stored =
        new RotateResult(true, "k2", "", "stored as key k2; key k1 works until k2 is first used");
    assertThat(HEX.formatHex(plain(stored))).isEqualTo(ROTATE_RESULT_STORED);
    assertThat(SessionMessage.decode(HEX.parseHex(ROTATE_RESULT_STORED))).isEqualTo(stored);
    RotateResult locked = RotateResult.refused("locked", "this client id is locked");
    assertThat(HEX.formatHex(plain(locked))).isEqualTo(ROTATE_RESULT_LOCKED);
    assertThat(SessionMessage.decode(HEX.parseHex(ROTATE_RESULT_LOCKED))).isEqualTo(locked);
  }

  @Test
  void malformedRotationMessagesAreProtocolErrors() {
    for (String hex :
        new String[] {
          "70" + "00".repeat(63), // verifiers one byte short
          "70" + "00".repeat(65), // one byte too many
          "7102000000000000", // unknown status
          "71000000000000", // stored, but no key id
          "710102" + "6b32" + "00" + "0000", // refused, but a key id
          "71000000", // cut short
        }) {
      assertThatThrownBy(() -> SessionMessage.decode(HEX.parseHex(hex)))
          .as(hex)
          .isInstanceOf(ProtocolException.class);
    }
  }

  private static Frame read(byte[] wire) throws IOException {
    return FrameCodec.read(new ByteArrayInputStream(wire), FrameCodec.PRE_AUTH_MAX_PAYLOAD);
  }

  private static byte[] plain(SessionMessage message) {
    byte[] body = message.body();
    byte[] plain = new byte[1 + body.length];
    plain[0] = (byte) message.type();
    System.arraycopy(body, 0, plain, 1, body.length);
    return plain;
  }
}
