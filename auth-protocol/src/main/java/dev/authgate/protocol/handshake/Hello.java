package dev.authgate.protocol.handshake;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import dev.authgate.protocol.crypto.X25519KeyPair;
import dev.authgate.protocol.identity.HostKey;
import dev.authgate.protocol.identity.HostPublicKey;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * HELLO, server to client in clear: {@code version u16 | challenge[32] | server_public[32] |
 * host_public[32] | host_signature[64]}. The host signature is the server's Ed25519 host key's
 * signature of {@code "authgate/2 hello" | version | challenge | server_public | host_public}
 * (docs/PROTOCOL.md §4.1), so a client knows who holds the ephemeral key before it sends anything
 * sealed to it.
 *
 * @param version the protocol version
 * @param challenge 32 fresh random bytes
 * @param serverPublic the server's ephemeral X25519 public key
 * @param hostPublic the server's host public key (32 bytes)
 * @param hostSignature the host key's signature (64 bytes)
 */
public record Hello(
    int version, byte[] challenge, byte[] serverPublic, byte[] hostPublic, byte[] hostSignature)
    implements HandshakeMessage {
  /** Bytes in a challenge (and in a client nonce). */
  public static final int CHALLENGE_BYTES = 32;

  /** Bytes of the HELLO payload the host key signs (after the label). */
  public static final int SIGNED_BYTES =
      2 + CHALLENGE_BYTES + X25519KeyPair.KEY_BYTES + HostKey.KEY_BYTES;

  /** Bytes in the HELLO payload. */
  public static final int PAYLOAD_BYTES = SIGNED_BYTES + HostKey.SIGNATURE_BYTES;

  /** What the signed message starts with, so a HELLO signature is good for nothing else. */
  static final byte[] SIGNATURE_LABEL = "authgate/2 hello".getBytes(StandardCharsets.US_ASCII);

  /** A HELLO signed now with {@code hostKey}. */
  public static Hello signed(int version, byte[] challenge, byte[] serverPublic, HostKey hostKey) {
    byte[] hostPublic = hostKey.publicKey().bytes();
    byte[] message = signedMessage(version, challenge, serverPublic, hostPublic);
    return new Hello(version, challenge, serverPublic, hostPublic, hostKey.sign(message));
  }

  /** The message the host key signs: the label, then every HELLO byte before the signature. */
  public static byte[] signedMessage(
      int version, byte[] challenge, byte[] serverPublic, byte[] hostPublic) {
    return ByteBuffer.allocate(SIGNATURE_LABEL.length + SIGNED_BYTES)
        .put(SIGNATURE_LABEL)
        .putShort((short) version)
        .put(challenge)
        .put(serverPublic)
        .put(hostPublic)
        .array();
  }

  /**
   * The host key that signed this HELLO, once its signature has been checked.
   *
   * @throws ProtocolException if the key is not a valid Ed25519 key or the signature does not
   *     verify
   */
  public HostPublicKey verifiedHostKey() throws ProtocolException {
    HostPublicKey key;
    try {
      key = HostPublicKey.of(hostPublic);
    } catch (IllegalArgumentException e) {
      throw new ProtocolException(
          Reason.SERVER_NOT_VERIFIED,
          "the server's HELLO names a host key that is not an Ed25519 key");
    }
    if (!key.verifies(signedMessage(version, challenge, serverPublic, hostPublic), hostSignature)) {
      throw new ProtocolException(
          Reason.SERVER_NOT_VERIFIED,
          "the server's HELLO is not signed by the host key it names (" + key.fingerprint() + ")");
    }
    return key;
  }

  /** The payload bytes. */
  public byte[] encode() {
    return ByteBuffer.allocate(PAYLOAD_BYTES)
        .putShort((short) version)
        .put(challenge)
        .put(serverPublic)
        .put(hostPublic)
        .put(hostSignature)
        .array();
  }

  static Hello decode(byte[] payload) throws ProtocolException {
    int version = HandshakeMessage.checkVersion(payload, "HELLO");
    HandshakeMessage.checkLength(payload, PAYLOAD_BYTES, "HELLO");
    int at = 2;
    byte[] challenge = Arrays.copyOfRange(payload, at, at += CHALLENGE_BYTES);
    byte[] serverPublic = Arrays.copyOfRange(payload, at, at += X25519KeyPair.KEY_BYTES);
    byte[] hostPublic = Arrays.copyOfRange(payload, at, at += HostKey.KEY_BYTES);
    byte[] signature = Arrays.copyOfRange(payload, at, PAYLOAD_BYTES);
    return new Hello(version, challenge, serverPublic, hostPublic, signature);
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
