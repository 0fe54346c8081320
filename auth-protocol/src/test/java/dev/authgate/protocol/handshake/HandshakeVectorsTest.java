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
    expected.put("ClientKey", "2a75f4c60c0bc0ea1143a1b95f32f9c571be775a402f41f14146298c3170d02f");
    expected.put("StoredKey", "e9cb7d524d0a37b9f58df5da526819cc1df9c66a3cffee4f4cf2502654f2a6c0");
    expected.put("ServerKey", "d1905aa193a45c4f683bbbfa07d3bd2dcb180db624f2b2db739df1b3cd72e01a");
    expected.put("fingerprint", "SHA256:nk6PobdTx8Xj7Kfbo5vTewfHUV/Xjfb74EyVz2FVBLk");
    expected.put(
        "HELLO frame",
        "01000000420001202122232425262728292a2b2c2d2e2f303132333435363738"
            + "393a3b3c3d3e3fde9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dad"
            + "fc7e146f882b4f");
    expected.put(
        "server ephemeral public",
        "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    expected.put(
        "client ephemeral public",
        "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    expected.put(
        "X25519 shared secret", "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
    expected.put("H0", "c57e1d84bcae801aef92b0706c6be4d204b00014afe45946304c4c79967c22e0");
    expected.put("hs c2s key", "90b9bbc092c13113ae28a76fd14be8e8538c542997cc57a126f6d9caa5e83353");
    expected.put("hs c2s iv", "e75082cdd74945d003678c47");
    expected.put("hs s2c key", "796a52a644dec1cda226098c8b75945109463c071b12d45c4436c9a774bdaaef");
    expected.put("hs s2c iv", "d37af0cd00425bccb45aed6d");
    expected.put(
        "T (AuthMessage)", "52e190245156e611f3f556902a59933c5b581b8608dc07d22189df2677859927");
    expected.put(
        "ClientSignature", "a7686e7f5bc4a2530678bc0df3aafb3fe794583f06e1f048b2060f46e45477bf");
    expected.put("ClientProof", "8d1d9ab957cf62b9173b1db4ac9802fa962a2f6546ceb1b9f34026cad524a790");
    expected.put(
        "identity plaintext",
        "0873656e736f722d31026b318d1d9ab957cf62b9173b1db4ac9802fa962a2f65"
            + "46ceb1b9f34026cad524a7900000000000000000000000000000000000000000"
            + "0000000000000000000000000000000000000000000000000000000000000000"
            + "0000000000000000000000000000000000000000000000000000000000000000"
            + "0000000000000000000000000000000000000000000000000000000000000000"
            + "0000000000000000000000000000000000000000000000000000000000000000");
    expected.put(
        "AUTH frame",
        "02000001120001404142434445464748494a4b4c4d4e4f505152535455565758"
            + "595a5b5c5d5e5f8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eb"
            + "a4a98eaa9b4e6a5ec09a837fe3d1b2a677bbd1d2e22bda6180890d396cbb9b1f"
            + "d566362d3f8d39b7bf74257df222e3890065236a4fc62acd51549cf914ce60d1"
            + "cb2890d31771656049458fe5a45e2968a81cac9814884b849a48fa422fe3ab97"
            + "000ab829667ee54c59811c63f29e88559df9b47a5426ae0bac6f813132325748"
            + "992e12982d1b9edce132f6e67c647497e1bf06dc6e1152a93a213a39649033dc"
            + "f0310465b6926d3e3f112798e44f799309a05c52457e621c20389ad303f2f577"
            + "063da2c872c3cbdeb6557e781802ccec389d16e2fac1e8");
    expected.put(
        "ServerSignature", "f2ae5a366916fcc123920c4069e8bd66a4aa2fda59d874b8f10dd9fa4e1e3f95");
    expected.put(
        "WELCOME frame",
        "030000003eb8640b8ca3cef9401addca59077d81fc67e609caee93e61a51185a"
            + "f3d1ba7f8a56b31cec64d5bb173ab4f57ab150c6f8bc56f4aa904a00979cffa6"
            + "79c7db");
    expected.put(
        "session c2s key", "6e87f2546a1891b8d675c0a90577609dc9db6b782e57fcd5ffa2362a92d12ca8");
    expected.put("session c2s iv", "216f47c3e81589cefa6734cd");
    expected.put(
        "session s2c key", "06713ce249c742fb973e429d4039021a497566bc66c55ec810b21a88ba719dad");
    expected.put("session s2c iv", "e786001eee966430dc284f36");
    expected.put(
        "datagram secret (dg_secret)",
        "dc841a2c21c3be8a30a42c56226b10850725e3a1948d9337ea2a328fc555a98d");
    expected.put(
        "first sealed frame (client PING token 1)",
        "1000000019033ecb32fd2bcb356046a3633e9346c7e733fb7f29ab7aa29c");
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
    byte[] helloPayload = java.util.Arrays.copyOfRange(hello, 5, 5 + 66);
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
