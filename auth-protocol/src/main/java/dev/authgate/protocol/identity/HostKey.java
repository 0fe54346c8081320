package dev.authgate.protocol.identity;

import dev.authgate.protocol.crypto.RandomSource;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * A server's Ed25519 host key: the 32-byte private seed and the public key derived from it (RFC
 * 8032 §5.1.5). Signs with pure Ed25519 (no context, no prehash), deterministic by construction:
 * the same key and message always give the same 64-byte signature, so no randomness can leak the
 * key. Immutable; {@link #toString} never shows the seed.
 */
public final class HostKey {
  /** Bytes of a seed and of a public key. */
  public static final int KEY_BYTES = Ed25519.SECRET_KEY_SIZE;

  /** Bytes of a signature. */
  public static final int SIGNATURE_BYTES = Ed25519.SIGNATURE_SIZE;

  private final byte[] seed;
  private final HostPublicKey publicKey;

  private HostKey(byte[] seed) {
    if (seed.length != KEY_BYTES) {
      throw new IllegalArgumentException("an Ed25519 seed is " + KEY_BYTES + " bytes");
    }
    this.seed = seed.clone();
    byte[] pub = new byte[Ed25519.PUBLIC_KEY_SIZE];
    Ed25519.generatePublicKey(this.seed, 0, pub, 0);
    this.publicKey = new HostPublicKey(pub);
  }

  /** The key of {@code seed} (32 bytes; copied). */
  public static HostKey fromSeed(byte[] seed) {
    return new HostKey(seed);
  }

  /** A new key from 32 fresh random bytes. */
  public static HostKey generate(RandomSource randomness) {
    return new HostKey(randomness.bytes(KEY_BYTES));
  }

  /** The public half, which clients pin. */
  public HostPublicKey publicKey() {
    return publicKey;
  }

  /** The seed, for writing the key file; a copy. */
  public byte[] seed() {
    return seed.clone();
  }

  /** The 64-byte Ed25519 signature of {@code message}. Thread-safe. */
  public byte[] sign(byte[] message) {
    byte[] signature = new byte[SIGNATURE_BYTES];
    Ed25519.sign(seed, 0, publicKey.bytes(), 0, message, 0, message.length, signature, 0);
    return signature;
  }

  /** Whether both are the same key (seeds compared in constant time). */
  @Override
  public boolean equals(Object o) {
    return o instanceof HostKey other && java.security.MessageDigest.isEqual(seed, other.seed);
  }

  @Override
  public int hashCode() {
    return publicKey.hashCode();
  }

  @Override
  public String toString() {
    return "HostKey[" + publicKey.fingerprint() + ", private half hidden]";
  }
}
