package dev.authgate.protocol.crypto;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import org.bouncycastle.math.ec.rfc7748.X25519;

/**
 * An ephemeral X25519 key pair (RFC 7748), used for one handshake and then dropped.
 *
 * <p>Not thread-safe; owned by one handshake. {@link #toString()} never shows the private key.
 */
public final class X25519KeyPair {
  /** Bytes in an X25519 public or private key. */
  public static final int KEY_BYTES = 32;

  private final byte[] privateKey;
  private final byte[] publicKey;

  private X25519KeyPair(byte[] privateKey) {
    this.privateKey = privateKey.clone();
    this.publicKey = new byte[KEY_BYTES];
    X25519.generatePublicKey(this.privateKey, 0, publicKey, 0);
  }

  /** A key pair whose private key is 32 bytes from {@code randomness}. */
  public static X25519KeyPair generate(RandomSource randomness) {
    return fromPrivateKey(randomness.bytes(KEY_BYTES));
  }

  /** A key pair from a fixed private key (test vectors); the key is clamped as RFC 7748 says. */
  public static X25519KeyPair fromPrivateKey(byte[] privateKey) {
    if (privateKey.length != KEY_BYTES) {
      throw new IllegalArgumentException("X25519 private key must be 32 bytes");
    }
    return new X25519KeyPair(privateKey);
  }

  /** The public key; a copy. */
  public byte[] publicKey() {
    return publicKey.clone();
  }

  /**
   * The shared secret with {@code peerPublicKey}.
   *
   * @throws ProtocolException {@link Reason#MALFORMED} if the peer key is a low-order point, which
   *     would make the shared secret all zeros
   */
  public byte[] agree(byte[] peerPublicKey) throws ProtocolException {
    if (peerPublicKey.length != KEY_BYTES) {
      throw new ProtocolException(Reason.MALFORMED, "peer X25519 key is not 32 bytes");
    }
    byte[] shared = new byte[KEY_BYTES];
    if (!X25519.calculateAgreement(privateKey, 0, peerPublicKey, 0, shared, 0)) {
      throw new ProtocolException(
          Reason.MALFORMED, "peer X25519 key is a low-order point (all-zero shared secret)");
    }
    return shared;
  }

  @Override
  public String toString() {
    return "X25519KeyPair[private key hidden]";
  }
}
