package dev.authgate.protocol.handshake;

import dev.authgate.protocol.crypto.Verifier;
import dev.authgate.protocol.keyfile.KeyStatus;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** A {@link VerifierLookup} over a map, for tests. Thread-safe. */
public final class InMemoryKeys implements VerifierLookup {
  private final Map<String, KeyRecord> records = new ConcurrentHashMap<>();

  /** Adds or replaces a key. */
  public InMemoryKeys put(String clientId, String keyId, Verifier verifier, KeyStatus status) {
    records.put(clientId + "/" + keyId, new KeyRecord(verifier, status));
    return this;
  }

  /** Adds an active key. */
  public InMemoryKeys put(String clientId, String keyId, Verifier verifier) {
    return put(clientId, keyId, verifier, KeyStatus.ACTIVE);
  }

  @Override
  public Optional<KeyRecord> find(String clientId, String keyId) {
    return Optional.ofNullable(records.get(clientId + "/" + keyId));
  }
}
