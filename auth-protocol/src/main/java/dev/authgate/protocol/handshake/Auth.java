package dev.authgate.protocol.handshake;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.crypto.FrameSealer;
import dev.authgate.protocol.crypto.X25519KeyPair;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * AUTH, client to server: {@code version u16 | client_nonce[32] | client_public[32] |
 * sealed_identity[192 + 16]}. The first 66 bytes are in clear; the identity (client id, key id,
 * proof) is sealed under the client-to-server handshake key.
 *
 * @param version the protocol version
 * @param clientNonce 32 fresh random bytes
 * @param clientPublic the client's ephemeral X25519 public key
 * @param sealedIdentity the AES-GCM sealed {@link Identity}
 */
public record Auth(int version, byte[] clientNonce, byte[] clientPublic, byte[] sealedIdentity)
    implements HandshakeMessage {
  /** Bytes of the AUTH payload sent in clear. */
  public static final int CLEAR_BYTES = 2 + Hello.CHALLENGE_BYTES + X25519KeyPair.KEY_BYTES;

  /** Bytes in the whole AUTH payload. */
  public static final int PAYLOAD_BYTES = CLEAR_BYTES + Identity.BYTES + FrameSealer.TAG_BYTES;

  /** The clear part: version, nonce and public key. */
  public byte[] clearPart() {
    return ByteBuffer.allocate(CLEAR_BYTES)
        .putShort((short) version)
        .put(clientNonce)
        .put(clientPublic)
        .array();
  }

  /** The payload bytes. */
  public byte[] encode() {
    return ByteBuffer.allocate(PAYLOAD_BYTES).put(clearPart()).put(sealedIdentity).array();
  }

  static Auth decode(byte[] payload) throws ProtocolException {
    int version = HandshakeMessage.checkVersion(payload, "AUTH");
    HandshakeMessage.checkLength(payload, PAYLOAD_BYTES, "AUTH");
    int keyStart = 2 + Hello.CHALLENGE_BYTES;
    return new Auth(
        version,
        Arrays.copyOfRange(payload, 2, keyStart),
        Arrays.copyOfRange(payload, keyStart, CLEAR_BYTES),
        Arrays.copyOfRange(payload, CLEAR_BYTES, PAYLOAD_BYTES));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Auth a && Arrays.equals(a.encode(), encode());
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(encode());
  }

  @Override
  public String toString() {
    return "Auth[version=" + version + "]";
  }
}
