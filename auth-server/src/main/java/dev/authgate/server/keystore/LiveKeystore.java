package dev.authgate.server.keystore;

import dev.authgate.protocol.handshake.VerifierLookup;
import dev.authgate.protocol.handshake.VerifierLookup.KeyStatus;
import dev.authgate.protocol.keyfile.ClientKeys;
import dev.authgate.protocol.keyfile.KeyEntry;
import dev.authgate.protocol.keyfile.Permissions;
import java.time.Clock;
import java.time.Instant;
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
    Optional<ClientKeys> client = current.get().client(clientId);
    Optional<KeyEntry> key = client.flatMap(c -> c.key(keyId));
    Instant now = clock.instant();
    return key.map(
        k -> {
          KeyStatus status = k.statusAt(now);
          // A client past its own expiry (keys set ID --expires) is refused as expired-key.
          if (status == KeyStatus.ACTIVE && client.get().permissions().expiredAt(now)) {
            status = KeyStatus.EXPIRED;
          }
          return new KeyRecord(k.verifier(), status);
        });
  }

  @Override
  public Permissions permissions(String clientId) {
    return current.get().client(clientId).map(ClientKeys::permissions).orElse(Permissions.ALL);
  }
}
