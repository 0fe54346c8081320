package dev.authgate.protocol.crypto;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** One-shot HMAC-SHA256 and SHA-256 over the JDK's providers. Stateless, thread-safe. */
public final class Digests {
  /** Output size of SHA-256 and HMAC-SHA256. */
  public static final int SHA256_BYTES = 32;

  private Digests() {}

  /** HMAC-SHA256 of the concatenated {@code parts} under {@code key}. */
  public static byte[] hmac(byte[] key, byte[]... parts) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      for (byte[] part : parts) {
        mac.update(part);
      }
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
    }
  }

  /** SHA-256 of the concatenated {@code parts}. */
  public static byte[] sha256(byte[]... parts) {
    MessageDigest digest = newSha256();
    for (byte[] part : parts) {
      digest.update(part);
    }
    return digest.digest();
  }

  /** A fresh SHA-256 digest for streaming use. */
  public static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }

  /** XOR of two equal-length arrays into a new array. */
  public static byte[] xor(byte[] a, byte[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException("xor of " + a.length + " and " + b.length + " bytes");
    }
    byte[] out = new byte[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = (byte) (a[i] ^ b[i]);
    }
    return out;
  }
}
