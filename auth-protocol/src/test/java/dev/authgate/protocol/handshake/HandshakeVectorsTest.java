package dev.authgate.protocol.handshake;

import static org.assertj.core.api.Assertions.assertThat;

import dev.authgate.protocol.crypto.Digests;
import dev.authgate.protocol.crypto.Hkdf;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The worked example in docs/PROTOCOL.md. The first test pins every value the implementation
 * derives; the second recomputes the key schedule from the document's formulas using only the
 * primitives, so the document and the code cannot drift apart.
 */
class HandshakeVectorsTest {
  private static final HexFormat HEX = HexFormat.of();

  static Map<String, String> expected() {
    Map<String, String> expected = new LinkedHashMap<>();
    expected.put("secret S", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    expected.put("client id", "sensor-1");
    expected.put("key id", "k1");
    expected.put("server id", "authgate-demo");
    expected.put("challenge", "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f");
    expected.put(
        "client nonce", "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f");
    expected.put(
        "server ephemeral private",
        "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    expected.put(
        "client ephemeral private",
        "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    expected.put(
        "host key private (Ed25519 seed)",
        "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f");
    expected.put(
        "host key public", "174553b456dddfc6908ecab1c101fe6ab21e2baa0617795b7d43a63482993fd5");
    expected.put("host key fingerprint", "SHA256:aIlNWPGPLDTUnrL0sRDgQs0PMVCk3DkkPX9jvVmMB4M");
    expected.put("ClientKey", "2a75f4c60c0bc0ea1143a1b95f32f9c571be775a402f41f14146298c3170d02f");
    expected.put("StoredKey", "e9cb7d524d0a37b9f58df5da526819cc1df9c66a3cffee4f4cf2502654f2a6c0");
    expected.put("ServerKey", "d1905aa193a45c4f683bbbfa07d3bd2dcb180db624f2b2db739df1b3cd72e01a");
    expected.put("fingerprint", "SHA256:nk6PobdTx8Xj7Kfbo5vTewfHUV/Xjfb74EyVz2FVBLk");
    expected.put(
        "HELLO frame",
        "01000000a20002202122232425262728292a2b2c2d2e2f303132333435363738"
            + "393a3b3c3d3e3fde9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dad"
            + "fc7e146f882b4f174553b456dddfc6908ecab1c101fe6ab21e2baa0617795b7d"
            + "43a63482993fd58fb05b894a6268c6708cf0f42bcef8e3ab0f0ddf127e33f9cd"
            + "4981bb47c240290090ef7315af4958298fbb9f48ce7f805cf4bff66ff6946137"
            + "25711eb466ed0e");
    expected.put(
        "server ephemeral public",
        "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    expected.put(
        "HELLO signed message",
        "61757468676174652f322068656c6c6f0002202122232425262728292a2b2c2d"
            + "2e2f303132333435363738393a3b3c3d3e3fde9edb7d7b7dc1b4d35b61c2ece4"
            + "35373f8343c85b78674dadfc7e146f882b4f174553b456dddfc6908ecab1c101"
            + "fe6ab21e2baa0617795b7d43a63482993fd5");
    expected.put(
        "HELLO host signature",
        "8fb05b894a6268c6708cf0f42bcef8e3ab0f0ddf127e33f9cd4981bb47c24029"
            + "0090ef7315af4958298fbb9f48ce7f805cf4bff66ff694613725711eb466ed0e");
    expected.put(
        "client ephemeral public",
        "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    expected.put(
        "X25519 shared secret", "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
    expected.put("H0", "3b97c87038b3be05df14348e00939b423df8177f7a3e9c3dd0b1e1286b5f571d");
    expected.put("hs c2s key", "2290f02416d7c37684bd42f25070006552b0170385f9d47f1c133455d8180161");
    expected.put("hs c2s iv", "6a8b4f4b36d7039492462e6e");
    expected.put("hs s2c key", "ce1fbd089d6b8e8694aa83d943afb2babb728b719059e978e235de32cbe59760");
    expected.put("hs s2c iv", "a86567f727dcdde664c7ebfa");
    expected.put(
        "T (AuthMessage)", "e673e4785d4773e733dc96d771bfd0070f9c83448b216557b52631ad511188c7");
    expected.put(
        "ClientSignature", "7ea327fde0317eabf377c7f6ac3f0cce8abf887cf717d0d124f05ca78d056e4b");
    expected.put("ClientProof", "54d6d33bec3abe41e234664ff30df50bfb01ff26b738912065b6752bbc75be64");
    expected.put(
        "identity plaintext",
        "0873656e736f722d31026b3154d6d33bec3abe41e234664ff30df50bfb01ff26"
            + "b738912065b6752bbc75be640000000000000000000000000000000000000000"
            + "0000000000000000000000000000000000000000000000000000000000000000"
            + "0000000000000000000000000000000000000000000000000000000000000000"
            + "0000000000000000000000000000000000000000000000000000000000000000"
            + "0000000000000000000000000000000000000000000000000000000000000000");
    expected.put(
        "AUTH frame",
        "02000001120002404142434445464748494a4b4c4d4e4f505152535455565758"
            + "595a5b5c5d5e5f8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eb"
            + "a4a98eaa9b4e6a637e58988a56b10afced25e8b42cbe1aa8d2d358594ec42f96"
            + "890ab7ef2e8b0a91464f77e53a755721f4d65080818f11741c8b5185755d60c6"
            + "7cd4845d1ae2bb29839320ceb82937f05953f2e52107fa0a6be099ba3a1c838d"
            + "104fd1d7700ae7b166457668952a4b0c468c0a0eebd0e3da99a5375f76d91efe"
            + "ab9f4721a2f9459712bfd9883769d6a502f6f73228fdba23d5b8bf6a3a82600f"
            + "2ff0fd7737dd913a58f3263714cf19afce192aff5786e02bd93a7c6514052482"
            + "dd5389272b67ab637b9972dc601d783cb06ef8a0a74d69");
    expected.put(
        "ServerSignature", "06483e6a370ef143b866eb101066e55ed45ecd00c5800171d8036c211cdc7768");
    expected.put(
        "WELCOME frame",
        "030000003f3b94a7582e05bcfa4bcb077dc14f265bed30206192db1c685cb821"
            + "5dc4971321c4ff81d1e5e132bd53ceee8129cb251143f123533587b24ed85467"
            + "8478b5f4");
    expected.put(
        "session c2s key", "3a9828e9a01571cc2a694f360277f7de5b419ab97b11a2c1d67b5b1b9e61c7c9");
    expected.put("session c2s iv", "70ff96579244d41205d4b77f");
    expected.put(
        "session s2c key", "6827cb645126aba31b97e9b2dccd8bd44280915a80c2a0952af25f9cfc04027f");
    expected.put("session s2c iv", "2c61e9b7fe3721e5dad9d6ca");
    expected.put(
        "datagram secret (dg_secret)",
        "e7bda7b7a4d4a6b79114aca627edc0508bf51319a72764e4c90df30e5a3a7290");
    expected.put(
        "first sealed frame (client PING token 1)",
        "1000000019a39499025da3bb09dc69d3c5c83b6b3339d399bbc3fec57f0d");
    return expected;
  }

  @Test
  void everyDerivedValueMatchesTheDocumentedVector() throws IOException {
    Map<String, String> actual = HandshakeVectors.compute();
    assertThat(actual).containsExactlyEntriesOf(expected());
  }

  @Test
  void theDocumentedFormulasReproduceTheVector() {
    Map<String, String> v = expected();
    byte[] shared = HEX.parseHex(v.get("X25519 shared secret"));
    byte[] hello = HEX.parseHex(v.get("HELLO frame"));
    byte[] auth = HEX.parseHex(v.get("AUTH frame"));
    byte[] helloPayload = java.util.Arrays.copyOfRange(hello, 5, 5 + 162);
    // HELLO's host signature: Ed25519 (RFC 8032) by the documented key over the label and the
    // first 98 payload bytes.
    byte[] signed =
        concat(
            "authgate/2 hello".getBytes(StandardCharsets.US_ASCII),
            java.util.Arrays.copyOfRange(helloPayload, 0, 98));
    assertThat(HEX.formatHex(signed)).isEqualTo(v.get("HELLO signed message"));
    byte[] hostPublic = HEX.parseHex(v.get("host key public"));
    byte[] signature = java.util.Arrays.copyOfRange(helloPayload, 98, 162);
    assertThat(HEX.formatHex(signature)).isEqualTo(v.get("HELLO host signature"));
    assertThat(
            org.bouncycastle.math.ec.rfc8032.Ed25519.verify(
                signature, 0, hostPublic, 0, signed, 0, signed.length))
        .isTrue();
    byte[] publicFromSeed = new byte[32];
    org.bouncycastle.math.ec.rfc8032.Ed25519.generatePublicKey(
        HEX.parseHex(v.get("host key private (Ed25519 seed)")), 0, publicFromSeed, 0);
    assertThat(publicFromSeed).isEqualTo(hostPublic);
    assertThat(
            "SHA256:"
                + java.util.Base64.getEncoder()
                    .withoutPadding()
                    .encodeToString(Digests.sha256(hostPublic)))
        .isEqualTo(v.get("host key fingerprint"));
    byte[] authClear = java.util.Arrays.copyOfRange(auth, 5, 5 + 66);

    byte[] h0 = Digests.sha256(helloPayload, authClear);
    assertThat(HEX.formatHex(h0)).isEqualTo(v.get("H0"));
    byte[] hsPrk = Hkdf.extract(h0, shared);
    assertThat(HEX.formatHex(Hkdf.expand(hsPrk, "authgate/1 hs c2s key", 32)))
        .isEqualTo(v.get("hs c2s key"));
    assertThat(HEX.formatHex(Hkdf.expand(hsPrk, "authgate/1 hs s2c iv", 12)))
        .isEqualTo(v.get("hs s2c iv"));

    byte[] t =
        Digests.sha256(
            helloPayload,
            authClear,
            new byte[] {8},
            "sensor-1".getBytes(StandardCharsets.US_ASCII),
            new byte[] {2},
            "k1".getBytes(StandardCharsets.US_ASCII));
    assertThat(HEX.formatHex(t)).isEqualTo(v.get("T (AuthMessage)"));

    byte[] secret = HEX.parseHex(v.get("secret S"));
    byte[] clientKey = Digests.hmac(secret, "Client Key".getBytes(StandardCharsets.US_ASCII));
    byte[] storedKey = Digests.sha256(clientKey);
    byte[] proof = Digests.xor(clientKey, Digests.hmac(storedKey, t));
    assertThat(HEX.formatHex(proof)).isEqualTo(v.get("ClientProof"));

    byte[] sessionPrk = Hkdf.extract(t, concat(shared, clientKey));
    assertThat(HEX.formatHex(Hkdf.expand(sessionPrk, "authgate/1 c2s key", 32)))
        .isEqualTo(v.get("session c2s key"));
    assertThat(HEX.formatHex(Hkdf.expand(sessionPrk, "authgate/1 s2c iv", 12)))
        .isEqualTo(v.get("session s2c iv"));
    assertThat(HEX.formatHex(Hkdf.expand(sessionPrk, "authgate/1 dg", 32)))
        .isEqualTo(v.get("datagram secret (dg_secret)"));
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
