package dev.authgate.protocol.handshake;

import dev.authgate.protocol.crypto.Verifier;
import dev.authgate.protocol.keyfile.KeyStatus;
import dev.authgate.protocol.keyfile.Permissions;
import java.util.Optional;

/**
 * Finds the verifier the server holds for a client's key. The server's keystore implements it;
 * tests use an in-memory map.
 *
 * <p>Implementations must be thread-safe: every connection's handshake calls it.
 */
@FunctionalInterface
public interface VerifierLookup {
  /**
   * The key record, or empty if the client or the key is unknown.
   *
   * @param clientId a syntactically valid client id
   * @param keyId the claimed key id, not yet validated
   */
  Optional<KeyRecord> find(String clientId, String keyId);

  /**
   * What the client may do once verified, as of now (it may change while a session lasts); a lookup
   * without per-client permissions allows everything.
   */
  default Permissions permissions(String clientId) {
    return Permissions.ALL;
  }

  /**
   * One key's verifier and its state.
   *
   * @param verifier StoredKey and ServerKey
   * @param status whether the key may be used now
   * @param rotation whether WELCOME asks the client to rotate it (null: no)
   */
  record KeyRecord(Verifier verifier, KeyStatus status, RotationAsk rotation) {
    /** A key the server does not ask to rotate. */
    public KeyRecord(Verifier verifier, KeyStatus status) {
      this(verifier, status, null);
    }
  }

  /**
   * The server asks the client to rotate this key in the session it opens (WELCOME's rotate
   * announcement, docs/PROTOCOL.md §5.7).
   *
   * @param refuseAfter when the server stops taking the current key, or null for never
   */
  record RotationAsk(java.time.Instant refuseAfter) {}
}
