package dev.authgate.protocol.handshake;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.crypto.X25519KeyPair;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * HELLO, server to client in clear: {@code version u16 | challenge[32] | server_public[32]}.
 *
 * @param version the protocol version
 * @param challenge 32 fresh random bytes
 * @param serverPublic the server's ephemeral X25519 public key
 */
public record Hello(int version, byte[] challenge, byte[] serverPublic)
    implements HandshakeMessage {
  /** Bytes in a challenge (and in a client nonce). */
  public static final int CHALLENGE_BYTES = 32;

  /** Bytes in the HELLO payload. */
  public static final int PAYLOAD_BYTES = 2 + CHALLENGE_BYTES + X25519KeyPair.KEY_BYTES;

  /** The payload bytes. */
  public byte[] encode() {
    return ByteBuffer.allocate(PAYLOAD_BYTES)
        .putShort((short) version)
        .put(challenge)
        .put(serverPublic)
        .array();
  }

  static Hello decode(byte[] payload) throws ProtocolException {
    int version = HandshakeMessage.checkVersion(payload, "HELLO");
    HandshakeMessage.checkLength(payload, PAYLOAD_BYTES, "HELLO");
    return new Hello(
        version,
        Arrays.copyOfRange(payload, 2, 2 + CHALLENGE_BYTES),
        Arrays.copyOfRange(payload, 2 + CHALLENGE_BYTES, PAYLOAD_BYTES));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Hello h && Arrays.equals(h.encode(), encode());
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(encode());
  }

  @Override
  public String toString() {
    return "Hello[version=" + version + "]";
  }
}
