package dev.authgate.protocol.keyfile;

import dev.authgate.protocol.crypto.Verifier;
import java.time.Instant;
import java.util.Objects;

/**
 * One key of a client as the server stores it.
 *
 * @param keyId the key id
 * @param revoked when the key was revoked, or null if it is not
 * @param created when the key was made
 * @param expires when the key stops working (end of a rotation grace period), or null
 * @param verifier StoredKey and ServerKey
 */
public record KeyEntry(
    String keyId, Instant created, Instant revoked, Instant expires, Verifier verifier) {
  /** Validates the required parts. */
  public KeyEntry {
    ClientIds.requireValid(keyId, "key id");
    Objects.requireNonNull(created, "created");
    Objects.requireNonNull(verifier, "verifier");
  }

  /** The key's status at {@code now}. */
  public KeyStatus statusAt(Instant now) {
    if (revoked != null) {
      return KeyStatus.REVOKED;
    }
    if (expires != null && !now.isBefore(expires)) {
      return KeyStatus.EXPIRED;
    }
    return KeyStatus.ACTIVE;
  }

  /** This key, revoked at {@code when}. */
  public KeyEntry revokedAt(Instant when) {
    return new KeyEntry(keyId, created, revoked == null ? when : revoked, expires, verifier);
  }
}
