package dev.authgate.protocol.datagram;

import static org.assertj.core.api.Assertions.assertThat;

import dev.authgate.protocol.crypto.Hkdf;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * docs/PROTOCOL.md §11.5: the datagram keys and the first datagram of a channel of the §9 session,
 * from the implementation and again from the documented formulas with only the primitives.
 */
class DatagramVectorsTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final byte[] DG_SECRET =
      HEX.parseHex("dc841a2c21c3be8a30a42c56226b10850725e3a1948d9337ea2a328fc555a98d");
  private static final byte[] CHANNEL = HEX.parseHex("0102030405060708");
  private static final String CHANNEL_PRK =
      "84ddb5da1ae3d499c6425b4c86c386392037a73636640debc448a56bef361f82";
  private static final String C2S_KEY =
      "87df794bb6ebc2c33a324b02ffd0f64a335e93901ee3bff4b02799f4b36de591";
  private static final String C2S_IV = "eecb00d644c15243fa7a06c0";
  private static final String S2C_KEY =
      "6e11909d00bdf13c273c41c6c39c643690eb80d7167816c179bcb3c516362e2b";
  private static final String S2C_IV = "dba6860c30f85844c2b8678a";
  private static final String FIRST_DATAGRAM =
      "0102030405060708000000000000000039542d2ff12a2798e839c9bb33305e6ac4123ab6b68d";

  @Test
  void theImplementationDerivesTheDocumentedKeysAndSealsTheDocumentedDatagram() throws Exception {
    DatagramKeys keys = DatagramKeys.derive(DG_SECRET, CHANNEL);

    assertThat(HEX.formatHex(keys.clientToServer().key())).isEqualTo(C2S_KEY);
    assertThat(HEX.formatHex(keys.clientToServer().iv())).isEqualTo(C2S_IV);
    assertThat(HEX.formatHex(keys.serverToClient().key())).isEqualTo(S2C_KEY);
    assertThat(HEX.formatHex(keys.serverToClient().iv())).isEqualTo(S2C_IV);
    byte[] sealed =
        new Datagram(CHANNEL, keys.clientToServer())
            .seal(0, 0x01, "hello".getBytes(StandardCharsets.UTF_8));
    assertThat(HEX.formatHex(sealed)).isEqualTo(FIRST_DATAGRAM);
  }

  @Test
  void theDocumentedFormulasReproduceTheVector() throws Exception {
    byte[] prk = Hkdf.extract(CHANNEL, DG_SECRET);
    assertThat(HEX.formatHex(prk)).isEqualTo(CHANNEL_PRK);
    byte[] key = Hkdf.expand(prk, "authgate/1 dg c2s key", 32);
    byte[] iv = Hkdf.expand(prk, "authgate/1 dg c2s iv", 12);
    assertThat(HEX.formatHex(key)).isEqualTo(C2S_KEY);
    assertThat(HEX.formatHex(iv)).isEqualTo(C2S_IV);

    byte[] datagram = HEX.parseHex(FIRST_DATAGRAM);
    Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
    // sequence 0: the nonce is the IV itself
    gcm.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, iv));
    gcm.updateAAD(datagram, 0, 16);
    byte[] plain = gcm.doFinal(datagram, 16, datagram.length - 16);
    assertThat(HEX.formatHex(plain)).isEqualTo("01" + HEX.formatHex("hello".getBytes()));
  }
}
