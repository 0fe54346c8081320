package dev.authgate.protocol.crypto;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HKDF-SHA256 (RFC 5869) split into its extract and expand steps, on the JDK's HMAC-SHA256 (the JDK
 * 21 this runs on has no HKDF of its own; BouncyCastle's would start BouncyCastle's service
 * registry, ~15 ms of every short-lived client's start, and hash without the CPU's SHA
 * instructions). Pinned by the RFC's test vectors and the protocol's own (RfcVectorsTest,
 * HandshakeVectorsTest). Stateless, thread-safe.
 */
public final class Hkdf {
  private static final int HASH_BYTES = 32;

  private Hkdf() {}

  /** HKDF-Extract: a 32-byte pseudorandom key from {@code ikm}, salted with {@code salt}. */
  public static byte[] extract(byte[] salt, byte[] ikm) {
    // RFC 5869 §2.2: no salt means HashLen zeros, which is also what HMAC makes of an empty key
    // (keys are zero-padded to the block); the JDK refuses an empty key, so say it that way.
    return Digests.hmac(salt.length == 0 ? new byte[HASH_BYTES] : salt, ikm);
  }

  /** HKDF-Expand: {@code length} bytes of output keying material from {@code prk} and info. */
  public static byte[] expand(byte[] prk, byte[] info, int length) {
    if (length < 0 || length > 255 * HASH_BYTES) {
      throw new IllegalArgumentException("HKDF-Expand gives 0 to 8160 bytes, not " + length);
    }
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(prk, "HmacSHA256"));
      byte[] out = new byte[length];
      byte[] block = new byte[0];
      for (int i = 1, at = 0; at < length; i++) {
        mac.update(block);
        mac.update(info);
        mac.update((byte) i);
        block = mac.doFinal();
        int n = Math.min(block.length, length - at);
        System.arraycopy(block, 0, out, at, n);
        at += n;
      }
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
    }
  }

  /** HKDF-Expand with an ASCII label as info. */
  public static byte[] expand(byte[] prk, String label, int length) {
    return expand(prk, label.getBytes(StandardCharsets.US_ASCII), length);
  }
}
