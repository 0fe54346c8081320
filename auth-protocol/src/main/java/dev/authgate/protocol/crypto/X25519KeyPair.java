package dev.authgate.protocol.crypto;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import java.util.concurrent.atomic.AtomicInteger;
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

  /** The u-coordinate of the curve's base point (RFC 7748 §4.1), little-endian. */
  private static final byte[] BASE_POINT = basePoint();

  /**
   * Key pairs made with the general ladder before switching to BouncyCastle's fixed-base method.
   * That one is ~2.5× faster per key but first builds a table of base-point multiples, ~10 ms in a
   * JVM that has just started: more than a one-shot command's whole handshake. A process that makes
   * few keys (a `ping`) never pays for the table; one that makes many (a server, a load test)
   * switches after these. Both give the same public key.
   */
  private static final int LADDER_KEYS = 32;

  private static final AtomicInteger MADE = new AtomicInteger();

  private X25519KeyPair(byte[] privateKey) {
    this.privateKey = privateKey.clone();
    this.publicKey = new byte[KEY_BYTES];
    if (MADE.get() < LADDER_KEYS && MADE.incrementAndGet() <= LADDER_KEYS) {
      X25519.scalarMult(this.privateKey, 0, BASE_POINT, 0, publicKey, 0);
    } else {
      X25519.generatePublicKey(this.privateKey, 0, publicKey, 0);
    }
  }

  private static byte[] basePoint() {
    byte[] u = new byte[KEY_BYTES];
    u[0] = 9;
    return u;
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
