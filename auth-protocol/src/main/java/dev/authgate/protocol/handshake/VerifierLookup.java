package dev.authgate.protocol.handshake;

import dev.authgate.protocol.crypto.Verifier;
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
  default dev.authgate.protocol.keyfile.Permissions permissions(String clientId) {
    return dev.authgate.protocol.keyfile.Permissions.ALL;
  }

  /** The state of a key as of the lookup. */
  enum KeyStatus {
    /** The key may be used. */
    ACTIVE,
    /** The key was revoked. */
    REVOKED,
    /** The key's grace period after rotation is over. */
    EXPIRED,
    /** The client enrolled with a token that needs an operator's approval, not given yet. */
    PENDING
  }

  /**
   * One key's verifier and its state.
   *
   * @param verifier StoredKey and ServerKey
   * @param status whether the key may be used now
   */
  record KeyRecord(Verifier verifier, KeyStatus status) {}
}
