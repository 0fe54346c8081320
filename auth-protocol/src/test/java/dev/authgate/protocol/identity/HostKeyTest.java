package dev.authgate.protocol.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.authgate.protocol.crypto.Digests;
import dev.authgate.protocol.crypto.RandomSource;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The host key against RFC 8032 §7.1 (Ed25519) and as operators and clients use it. */
class HostKeyTest {
  private static final HexFormat HEX = HexFormat.of();

  @ParameterizedTest(name = "RFC 8032 7.1 {0}")
  @CsvSource({
    "TEST 1, 9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60,"
        + " d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a, '',"
        + " e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    "TEST 2, 4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb,"
        + " 3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c, 72,"
        + " 92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    "TEST 3, c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7,"
        + " fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025, af82,"
        + " 6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"
  })
  void signsAndVerifiesAsRfc8032Says(
      String name, String secret, String publicKey, String message, String signature) {
    HostKey key = HostKey.fromSeed(HEX.parseHex(secret));
    byte[] m = HEX.parseHex(message);

    assertThat(HEX.formatHex(key.publicKey().bytes())).isEqualTo(publicKey);
    assertThat(HEX.formatHex(key.sign(m))).isEqualTo(signature);
    assertThat(new HostPublicKey(HEX.parseHex(publicKey)).verifies(m, HEX.parseHex(signature)))
        .isTrue();
  }

  @Test
  void aSignatureOfAnotherMessageOrByAnotherKeyOrAlteredDoesNotVerify() {
    HostKey key = HostKey.generate(RandomSource.secure());
    HostKey other = HostKey.generate(RandomSource.secure());
    byte[] message = "transcript".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] signature = key.sign(message);

    assertThat(key.publicKey().verifies(message, signature)).isTrue();
    assertThat(other.publicKey().verifies(message, signature)).isFalse();
    assertThat(key.publicKey().verifies("transcripT".getBytes(), signature)).isFalse();
    byte[] altered = signature.clone();
    altered[63] ^= 0x01;
    assertThat(key.publicKey().verifies(message, altered)).isFalse();
    assertThat(key.publicKey().verifies(message, new byte[63])).isFalse();
    assertThat(key.publicKey().verifies(message, null)).isFalse();
  }

  @Test
  void theFingerprintIsSha256OfTheKeyInOpenSshsForm() {
    HostPublicKey key =
        new HostPublicKey(
            HEX.parseHex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"));

    assertThat(key.fingerprint())
        .startsWith("SHA256:")
        .hasSize(50)
        .isEqualTo(
            "SHA256:"
                + java.util.Base64.getEncoder()
                    .withoutPadding()
                    .encodeToString(Digests.sha256(key.bytes())));
    assertThat(HostPublicKey.isFingerprint(key.fingerprint())).isTrue();
    assertThat(HostPublicKey.isFingerprint("MD5:ab:cd")).isFalse();
  }

  @Test
  void notAPointAndWrongLengthsAreRefused_andTheSeedIsNeverShown() {
    assertThatThrownBy(() -> new HostPublicKey(new byte[31]))
        .isInstanceOf(IllegalArgumentException.class);
    byte[] notAPoint = new byte[32];
    java.util.Arrays.fill(notAPoint, (byte) 0xff);
    assertThatThrownBy(() -> new HostPublicKey(notAPoint))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> HostKey.fromSeed(new byte[16]))
        .isInstanceOf(IllegalArgumentException.class);

    HostKey key =
        HostKey.fromSeed(
            HEX.parseHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
    assertThat(key.toString()).doesNotContain("9d61b19d").contains("SHA256:");
  }

  /**
   * The small-order points and non-canonical encodings a host key must never be (with one of them
   * as the public key a signature can verify for any message). The Python client refuses the same
   * list (tests/test_worked_example.py).
   */
  @ParameterizedTest
  @CsvSource({
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"
  })
  void aWeakOrNonCanonicalPublicKeyIsNotAHostKey(String hex) {
    assertThatThrownBy(() -> new HostPublicKey(HexFormat.of().parseHex(hex)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
