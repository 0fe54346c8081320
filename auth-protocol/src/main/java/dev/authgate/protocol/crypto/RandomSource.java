package dev.authgate.protocol.crypto;

import java.security.SecureRandom;

/**
 * Where challenges, nonces and ephemeral keys come from. Production uses {@link #secure()}; test
 * vectors use fixed bytes.
 *
 * <p>Implementations must be safe for use from many threads.
 */
@FunctionalInterface
public interface RandomSource {
  /** {@code length} fresh bytes. */
  byte[] bytes(int length);

  /** Bytes from one shared {@link SecureRandom}. */
  static RandomSource secure() {
    SecureRandom random = new SecureRandom();
    return length -> {
      byte[] out = new byte[length];
      random.nextBytes(out);
      return out;
    };
  }
}
