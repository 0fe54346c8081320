package dev.authgate.protocol.handshake;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The sealed part of AUTH: {@code id_len u8 | client_id | key_id_len u8 | key_id | proof[32] | zero
 * padding} to exactly {@value #BYTES} bytes, so the ciphertext length does not reveal the length of
 * the client id.
 *
 * @param clientId the claimed client id; at most 64 bytes of UTF-8, not yet validated
 * @param keyId the claimed key id; at most 64 bytes of UTF-8
 * @param proof the 32-byte ClientProof
 */
public record Identity(String clientId, String keyId, byte[] proof) {
  /** Fixed plaintext size. */
  public static final int BYTES = 192;

  /** Longest id or key id, in bytes. */
  public static final int MAX_ID_BYTES = 64;

  /** The padded plaintext. */
  public byte[] encode() {
    byte[] id = clientId.getBytes(StandardCharsets.UTF_8);
    byte[] kid = keyId.getBytes(StandardCharsets.UTF_8);
    checkIdLength(id.length, "client id");
    checkIdLength(kid.length, "key id");
    return ByteBuffer.allocate(BYTES)
        .put((byte) id.length)
        .put(id)
        .put((byte) kid.length)
        .put(kid)
        .put(proof)
        .array();
  }

  private static void checkIdLength(int length, String what) {
    if (length < 1 || length > MAX_ID_BYTES) {
      throw new IllegalArgumentException(what + " must be 1 to 64 bytes");
    }
  }

  /**
   * Decodes the padded plaintext.
   *
   * @throws ProtocolException {@link Reason#MALFORMED} for bad lengths or non-zero padding
   */
  static Identity decode(byte[] plain) throws ProtocolException {
    ByteBuffer in = ByteBuffer.wrap(plain);
    String id = readId(in, "client id", null);
    String kid = readId(in, "key id", id);
    byte[] proof = new byte[32];
    in.get(proof);
    while (in.hasRemaining()) {
      if (in.get() != 0) {
        throw new ProtocolException(
            Reason.MALFORMED, "AUTH identity padding is not zero", id, kid, null);
      }
    }
    return new Identity(id, kid, proof);
  }

  private static String readId(ByteBuffer in, String what, String claimedId)
      throws ProtocolException {
    int length = in.get() & 0xff;
    if (length < 1 || length > MAX_ID_BYTES) {
      throw new ProtocolException(
          Reason.MALFORMED, "AUTH " + what + " length " + length, claimedId, null, null);
    }
    byte[] bytes = new byte[length];
    in.get(bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Identity i && Arrays.equals(i.encode(), encode());
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(encode());
  }

  @Override
  public String toString() {
    return "Identity[proof hidden]";
  }
}
