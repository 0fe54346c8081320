package dev.authgate.protocol.crypto;

/**
 * An AES-256 key and a 12-byte IV for one direction of one connection. Immutable; {@link
 * #toString()} hides both.
 */
public final class DirectionKeys {
  /** AES-256 key size. */
  public static final int KEY_BYTES = 32;

  /** GCM nonce size. */
  public static final int IV_BYTES = 12;

  private final byte[] key;
  private final byte[] iv;

  /** Copies a 32-byte key and a 12-byte IV. */
  public DirectionKeys(byte[] key, byte[] iv) {
    if (key.length != KEY_BYTES || iv.length != IV_BYTES) {
      throw new IllegalArgumentException("direction keys need a 32-byte key and a 12-byte IV");
    }
    this.key = key.clone();
    this.iv = iv.clone();
  }

  /** Expands {@code "<label> key"} and {@code "<label> iv"} from a pseudorandom key. */
  public static DirectionKeys expand(byte[] prk, String label) {
    return new DirectionKeys(
        Hkdf.expand(prk, label + " key", KEY_BYTES), Hkdf.expand(prk, label + " iv", IV_BYTES));
  }

  /** The key; a copy. */
  public byte[] key() {
    return key.clone();
  }

  /** The IV; a copy. */
  public byte[] iv() {
    return iv.clone();
  }

  @Override
  public String toString() {
    return "DirectionKeys[hidden]";
  }
}
