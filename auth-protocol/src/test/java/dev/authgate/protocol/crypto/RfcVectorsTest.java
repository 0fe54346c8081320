package dev.authgate.protocol.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The primitives against the published vectors of the RFCs that define them. */
class RfcVectorsTest {
  private static final HexFormat HEX = HexFormat.of();

  private static byte[] hex(String s) {
    return HEX.parseHex(s);
  }

  private static byte[] repeat(int value, int count) {
    byte[] out = new byte[count];
    java.util.Arrays.fill(out, (byte) value);
    return out;
  }

  @Test
  void hmacSha256MatchesRfc4231Cases() {
    assertThat(Digests.hmac(repeat(0x0b, 20), "Hi There".getBytes(StandardCharsets.US_ASCII)))
        .asHexString()
        .isEqualToIgnoringCase("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    assertThat(
            Digests.hmac(
                "Jefe".getBytes(StandardCharsets.US_ASCII),
                "what do ya want for nothing?".getBytes(StandardCharsets.US_ASCII)))
        .asHexString()
        .isEqualToIgnoringCase("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    assertThat(Digests.hmac(repeat(0xaa, 20), repeat(0xdd, 50)))
        .asHexString()
        .isEqualToIgnoringCase("773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
    assertThat(
            Digests.hmac(
                repeat(0xaa, 131),
                "Test Using Larger Than Block-Size Key - Hash Key First"
                    .getBytes(StandardCharsets.US_ASCII)))
        .asHexString()
        .isEqualToIgnoringCase("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  }

  @ParameterizedTest(name = "RFC 5869 {0}")
  @CsvSource({
    "case 1, 0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b, 000102030405060708090a0b0c,"
        + " f0f1f2f3f4f5f6f7f8f9, 42,"
        + " 077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5,"
        + " 3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
    "case 3, 0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b, '', '', 42,"
        + " 19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04,"
        + " 8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
  })
  void hkdfMatchesRfc5869(
      String name, String ikm, String salt, String info, int length, String prk, String okm) {
    byte[] extracted = Hkdf.extract(hex(salt), hex(ikm));
    assertThat(extracted).asHexString().isEqualToIgnoringCase(prk);
    assertThat(Hkdf.expand(extracted, hex(info), length)).asHexString().isEqualToIgnoringCase(okm);
  }

  @Test
  void x25519MatchesRfc7748DiffieHellmanExample() throws ProtocolException {
    X25519KeyPair alice =
        X25519KeyPair.fromPrivateKey(
            hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
    X25519KeyPair bob =
        X25519KeyPair.fromPrivateKey(
            hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
    assertThat(alice.publicKey())
        .asHexString()
        .isEqualToIgnoringCase("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    assertThat(bob.publicKey())
        .asHexString()
        .isEqualToIgnoringCase("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    String shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
    assertThat(alice.agree(bob.publicKey())).asHexString().isEqualToIgnoringCase(shared);
    assertThat(bob.agree(alice.publicKey())).asHexString().isEqualToIgnoringCase(shared);
  }

  @Test
  void x25519MatchesRfc7748ScalarMultiplicationVector() throws ProtocolException {
    X25519KeyPair scalar =
        X25519KeyPair.fromPrivateKey(
            hex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"));
    assertThat(
            scalar.agree(hex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c")))
        .asHexString()
        .isEqualToIgnoringCase("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
  }

  @Test
  void x25519RefusesLowOrderPeerKeys() {
    X25519KeyPair pair = X25519KeyPair.generate(RandomSource.secure());
    assertThatThrownBy(() -> pair.agree(new byte[32]))
        .isInstanceOf(ProtocolException.class)
        .extracting(e -> ((ProtocolException) e).reason())
        .isEqualTo(Reason.MALFORMED);
  }

  @Test
  void scramKeysMatchRfc7677Exchange() throws Exception {
    byte[] salt = Base64.getDecoder().decode("W22ZaJ0SNY7soEsUEjb6gQ==");
    byte[] salted =
        SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
            .generateSecret(new PBEKeySpec("pencil".toCharArray(), salt, 4096, 256))
            .getEncoded();
    String nonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    byte[] authMessage =
        ("n=user,r=rOprNGfwEbeRWgbNEkqO,r="
                + nonce
                + ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r="
                + nonce)
            .getBytes(StandardCharsets.US_ASCII);

    ScramKeys keys = ScramKeys.fromSaltedPassword(salted);

    assertThat(Base64.getEncoder().encodeToString(keys.clientProof(authMessage)))
        .isEqualTo("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
    assertThat(Base64.getEncoder().encodeToString(keys.verifier().serverSignature(authMessage)))
        .isEqualTo("6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
    assertThat(keys.verifier().verifyProof(authMessage, keys.clientProof(authMessage)))
        .isEqualTo(keys.clientKey());
  }

  @Test
  void verifierRejectsAProofForAnotherMessage() {
    ScramKeys keys = ScramKeys.fromSaltedPassword(repeat(7, 32));
    byte[] proof = keys.clientProof(repeat(1, 32));
    assertThat(keys.verifier().verifyProof(repeat(2, 32), proof)).isNull();
  }

  @Test
  void keyMaterialNeverAppearsInToString() {
    ScramKeys keys = ScramKeys.fromSaltedPassword(repeat(7, 32));
    String hexKey = HEX.formatHex(keys.clientKey());
    assertThat(keys.toString()).doesNotContain(hexKey);
    assertThat(keys.verifier().toString())
        .doesNotContain(Base64.getEncoder().encodeToString(keys.verifier().storedKey()))
        .startsWith("Verifier[SHA256:");
    assertThat(new DirectionKeys(repeat(1, 32), repeat(2, 12)).toString()).contains("hidden");
  }

  @Test
  void hkdfExpandGivesAnyLengthUpTo255BlocksAndRefusesMore() {
    byte[] prk = Hkdf.extract(new byte[0], new byte[22]);
    assertThat(Hkdf.expand(prk, new byte[0], 0)).isEmpty();
    assertThat(Hkdf.expand(prk, new byte[0], 8160)).hasSize(8160);
    assertThat(Hkdf.expand(prk, new byte[0], 33)).startsWith(Hkdf.expand(prk, new byte[0], 32));
    assertThatThrownBy(() -> Hkdf.expand(prk, new byte[0], 8161))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
