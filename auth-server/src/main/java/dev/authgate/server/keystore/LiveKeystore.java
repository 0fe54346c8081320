package dev.authgate.server.keystore;

import dev.authgate.protocol.handshake.VerifierLookup;
import dev.authgate.protocol.keyfile.KeyEntry;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The keys the running server checks handshakes against: the latest good {@link KeystoreSnapshot},
 * swapped atomically when the directory is reloaded. A key's status (active, revoked, expired) is
 * computed at lookup time from the injected clock.
 *
 * <p>Thread-safe.
 */
public final class LiveKeystore implements VerifierLookup {
  private final AtomicReference<KeystoreSnapshot> current;
  private final Clock clock;

  /** Starts with {@code initial}. */
  public LiveKeystore(KeystoreSnapshot initial, Clock clock) {
    this.current = new AtomicReference<>(Objects.requireNonNull(initial));
    this.clock = clock;
  }

  /** Replaces the snapshot for new lookups. */
  public void replace(KeystoreSnapshot snapshot) {
    current.set(Objects.requireNonNull(snapshot));
  }

  /** The snapshot now in force. */
  public KeystoreSnapshot snapshot() {
    return current.get();
  }

  @Override
  public Optional<KeyRecord> find(String clientId, String keyId) {
    Optional<KeyEntry> key = current.get().client(clientId).flatMap(c -> c.key(keyId));
    return key.map(k -> new KeyRecord(k.verifier(), k.statusAt(clock.instant())));
  }
}
