package dev.authgate.protocol.identity;

import java.util.List;
import java.util.Objects;

/**
 * The host keys a server holds at one moment: the one that signs every HELLO, the next ones it
 * announces to verified clients so they pin them before a rotation ends, and the fingerprints of
 * retired ones, which verified clients drop from their pins (docs/PROTOCOL.md §4.3). Immutable.
 *
 * @param signing the key that signs HELLO
 * @param next keys clients should pin as well (at most {@link #MAX_ANNOUNCED} with retired)
 * @param retired fingerprints ({@code SHA256:…}) clients should stop trusting
 */
public record HostKeySet(HostKey signing, List<HostPublicKey> next, List<String> retired) {
  /** At most this many next and retired keys, together, are announced. */
  public static final int MAX_ANNOUNCED = 8;

  /** Validates and copies. */
  public HostKeySet {
    Objects.requireNonNull(signing, "signing");
    next = List.copyOf(next);
    retired = List.copyOf(retired);
    for (String fingerprint : retired) {
      if (!HostPublicKey.isFingerprint(fingerprint)) {
        throw new IllegalArgumentException("not a host key fingerprint: " + fingerprint);
      }
    }
    if (next.size() + retired.size() > MAX_ANNOUNCED) {
      throw new IllegalArgumentException(
          "at most " + MAX_ANNOUNCED + " next and retired host keys, together");
    }
  }

  /** One key, nothing announced. */
  public static HostKeySet of(HostKey signing) {
    return new HostKeySet(signing, List.of(), List.of());
  }

  /** Every fingerprint a fresh credential should pin: the signing key and the next ones. */
  public List<String> pins() {
    java.util.ArrayList<String> pins = new java.util.ArrayList<>();
    pins.add(signing.publicKey().fingerprint());
    next.forEach(k -> pins.add(k.fingerprint()));
    return List.copyOf(pins);
  }
}
