package dev.authgate.protocol.crypto;

import java.nio.charset.StandardCharsets;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

/** HKDF-SHA256 (RFC 5869) split into its extract and expand steps. Stateless, thread-safe. */
public final class Hkdf {
  private Hkdf() {}

  /** HKDF-Extract: a 32-byte pseudorandom key from {@code ikm}, salted with {@code salt}. */
  public static byte[] extract(byte[] salt, byte[] ikm) {
    return new HKDFBytesGenerator(new SHA256Digest()).extractPRK(salt, ikm);
  }

  /** HKDF-Expand: {@code length} bytes of output keying material from {@code prk} and info. */
  public static byte[] expand(byte[] prk, byte[] info, int length) {
    HKDFBytesGenerator generator = new HKDFBytesGenerator(new SHA256Digest());
    generator.init(HKDFParameters.skipExtractParameters(prk, info));
    byte[] out = new byte[length];
    generator.generateBytes(out, 0, length);
    return out;
  }

  /** HKDF-Expand with an ASCII label as info. */
  public static byte[] expand(byte[] prk, String label, int length) {
    return expand(prk, label.getBytes(StandardCharsets.US_ASCII), length);
  }
}
