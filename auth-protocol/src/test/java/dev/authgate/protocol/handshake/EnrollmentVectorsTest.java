package dev.authgate.protocol.handshake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.crypto.ScramKeys;
import dev.authgate.protocol.keyfile.EnrollmentToken;
import dev.authgate.protocol.session.Enroll;
import dev.authgate.protocol.session.EnrollResult;
import dev.authgate.protocol.session.SessionMessage;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The enrollment worked example of docs/PROTOCOL.md §9.1, byte for byte. */
class EnrollmentVectorsTest {
  private static final HexFormat HEX = HexFormat.of();

  private static byte[] counting(int from) {
    byte[] bytes = new byte[32];
    for (int i = 0; i < 32; i++) {
      bytes[i] = (byte) (from + i);
    }
    return bytes;
  }

  @Test
  void theTokenTextIdAndClaimedIdentity() {
    EnrollmentToken token = new EnrollmentToken("0123456789abcdef", counting(0));

    assertThat(token.text())
        .isEqualTo("agt1-0123456789abcdef-AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8");
    assertThat(EnrollmentToken.parse(token.text())).isEqualTo(token);
    assertThat(token.identity().clientId()).isEqualTo("token:0123456789abcdef");
    assertThat(token.identity().keyId()).isEqualTo("t1");
    // The token secret is used as S: with §9's S its verifier is §9's StoredKey and ServerKey.
    assertThat(HEX.formatHex(token.scramKeys().verifier().storedKey()))
        .isEqualTo("e9cb7d524d0a37b9f58df5da526819cc1df9c66a3cffee4f4cf2502654f2a6c0");
    assertThat(HEX.formatHex(token.scramKeys().verifier().serverKey()))
        .isEqualTo("d1905aa193a45c4f683bbbfa07d3bd2dcb180db624f2b2db739df1b3cd72e01a");
    assertThat(token.toString()).doesNotContain("AAEC");
  }

  @Test
  void theEnrollAndEnrollResultMessages() throws Exception {
    ScramKeys machine = ScramKeys.fromSaltedPassword(counting(0x20));
    Enroll enroll =
        new Enroll("sensor-7", machine.verifier().storedKey(), machine.verifier().serverKey());

    String enrollHex =
        "40"
            + "08"
            + "73656e736f722d37"
            + "37c19b79cb46e9cdfbcdf0a4d0999b2180d4152a1643edf70d6b5aef2d8d70f9"
            + "59dab0b9b4791c070ae13065a16a0932e69c758d37f0a4bd7f83fdefd40e33d8";
    assertThat(HEX.formatHex(plain(enroll))).isEqualTo(enrollHex);
    assertThat(SessionMessage.decode(HEX.parseHex(enrollHex))).isEqualTo(enroll);

    EnrollResult result =
        new EnrollResult(
            EnrollResult.Status.ENROLLED, "sensor-7", "k1", "", "enrolled as sensor-7");
    String resultHex = "41000873656e736f722d37026b31000014656e726f6c6c65642061732073656e736f722d37";
    assertThat(HEX.formatHex(plain(result))).isEqualTo(resultHex);
    assertThat(SessionMessage.decode(HEX.parseHex(resultHex))).isEqualTo(result);
  }

  @Test
  void malformedEnrollmentMessagesAreProtocolErrors() {
    for (String hex :
        new String[] {
          "40", // no id length
          "4041" + "00".repeat(65 + 64), // id over 64 bytes
          "4000" + "00".repeat(63), // verifiers one byte short
          "4000" + "00".repeat(65), // one byte too many
          "4103000000000000", // unknown status
          "410000000000", // text length cut short
        }) {
      assertThatThrownBy(() -> SessionMessage.decode(HEX.parseHex(hex)))
          .as(hex)
          .isInstanceOf(ProtocolException.class);
    }
  }

  private static byte[] plain(SessionMessage message) {
    byte[] body = message.body();
    byte[] plain = new byte[1 + body.length];
    plain[0] = (byte) message.type();
    System.arraycopy(body, 0, plain, 1, body.length);
    return plain;
  }
}
