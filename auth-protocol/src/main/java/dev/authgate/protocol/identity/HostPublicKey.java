package dev.authgate.protocol.identity;

import dev.authgate.protocol.crypto.Digests;
import java.util.Arrays;
import java.util.Base64;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * The public half of a host key: 32 bytes (RFC 8032 §5.1.5), what a client pins. Its fingerprint is
 * {@code SHA256:} and the unpadded base64 of SHA-256 over those 32 bytes, shown as OpenSSH shows
 * its keys' fingerprints. Immutable and thread-safe.
 */
public final class HostPublicKey {
  private static final String PREFIX = "SHA256:";

  /** Keys seen lately, validated: a client sees its server's key on every connection. */
  private static final java.util.concurrent.ConcurrentHashMap<String, HostPublicKey> RECENT =
      new java.util.concurrent.ConcurrentHashMap<>();

  private static final int RECENT_MAX = 16;

  private final byte[] bytes;
  private final Ed25519.PublicPoint point;
  private final String fingerprint;

  /**
   * @param bytes the 32-byte encoded point (copied)
   * @throws IllegalArgumentException if it is not 32 bytes or not a valid Ed25519 point
   */
  public HostPublicKey(byte[] bytes) {
    if (bytes.length != HostKey.KEY_BYTES) {
      throw new IllegalArgumentException(
          "an Ed25519 public key is " + HostKey.KEY_BYTES + " bytes");
    }
    // Full validation (canonical, on the curve, not of small order), decompressed once for every
    // later verification.
    this.point = Ed25519.validatePublicKeyFullExport(bytes, 0);
    if (point == null) {
      throw new IllegalArgumentException("not a valid Ed25519 public key");
    }
    this.bytes = bytes.clone();
    this.fingerprint =
        PREFIX + Base64.getEncoder().withoutPadding().encodeToString(Digests.sha256(this.bytes));
  }

  /**
   * The key of {@code bytes}, validated once and reused while it keeps being seen (a full
   * validation costs about as much as a signature check).
   *
   * @throws IllegalArgumentException as the constructor
   */
  public static HostPublicKey of(byte[] bytes) {
    String id = java.util.HexFormat.of().formatHex(bytes);
    HostPublicKey known = RECENT.get(id);
    if (known != null) {
      return known;
    }
    HostPublicKey made = new HostPublicKey(bytes);
    if (RECENT.size() >= RECENT_MAX) {
      RECENT.clear(); // many keys: a test or a hostile peer; keep the bound, start over
    }
    RECENT.put(id, made);
    return made;
  }

  /** The 32 bytes; a copy. */
  public byte[] bytes() {
    return bytes.clone();
  }

  /** {@code SHA256:} + unpadded base64 of SHA-256(key), 50 characters. */
  public String fingerprint() {
    return fingerprint;
  }

  /** The fingerprint of a key whose SHA-256 is {@code hash} (32 bytes). */
  public static String fingerprintOfHash(byte[] hash) {
    if (hash.length != Digests.SHA256_BYTES) {
      throw new IllegalArgumentException("a SHA-256 hash is 32 bytes");
    }
    return PREFIX + Base64.getEncoder().withoutPadding().encodeToString(hash);
  }

  /** The SHA-256 inside {@code fingerprint}, which must have the form {@link #isFingerprint}. */
  public static byte[] hashOfFingerprint(String fingerprint) {
    if (!isFingerprint(fingerprint)) {
      throw new IllegalArgumentException("not a host key fingerprint: " + fingerprint);
    }
    return Base64.getDecoder().decode(fingerprint.substring(PREFIX.length()));
  }

  /** Whether {@code text} has the form of a fingerprint (says nothing of which key). */
  public static boolean isFingerprint(String text) {
    return text != null && text.matches("SHA256:[A-Za-z0-9+/]{43}");
  }

  /**
   * Whether {@code signature} is this key's Ed25519 signature of {@code message} (RFC 8032 §5.1.7,
   * with the strict checks: a non-canonical S or point is refused). Thread-safe.
   */
  public boolean verifies(byte[] message, byte[] signature) {
    return signature != null
        && signature.length == HostKey.SIGNATURE_BYTES
        && Ed25519.verify(signature, 0, point, message, 0, message.length);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HostPublicKey other && Arrays.equals(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    return "HostPublicKey[" + fingerprint() + "]";
  }
}
