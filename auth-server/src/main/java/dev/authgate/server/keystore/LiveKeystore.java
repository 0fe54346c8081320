package dev.authgate.server.keystore;

import dev.authgate.protocol.handshake.VerifierLookup;
import dev.authgate.protocol.keyfile.ClientKeys;
import dev.authgate.protocol.keyfile.EnrollmentToken;
import dev.authgate.protocol.keyfile.KeyEntry;
import dev.authgate.protocol.keyfile.KeyStatus;
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
  private final KeystoreDirectory directory;

  /** Starts with {@code initial}; no enrollment tokens. */
  public LiveKeystore(KeystoreSnapshot initial, Clock clock) {
    this(initial, clock, null);
  }

  /**
   * Starts with {@code initial}; enrollment tokens are read from {@code directory} when a token
   * session claims one (so a token made or revoked a moment ago counts at once), and enrollments
   * are written there.
   */
  public LiveKeystore(KeystoreSnapshot initial, Clock clock, KeystoreDirectory directory) {
    this.current = new AtomicReference<>(Objects.requireNonNull(initial));
    this.clock = clock;
    this.directory = directory;
  }

  /** Where enrollments go, if this server enrolls machines. */
  public Optional<KeystoreDirectory> enrollments() {
    return Optional.ofNullable(directory);
  }

  /**
   * A machine this server just enrolled: verifiable by it at once, not only after the watcher's
   * next look at the directory (a script doing {@code enroll && ping} must pass). The watcher's
   * next reload reads the same file.
   */
  public void enrolled(ClientKeys keys) {
    current.updateAndGet(snapshot -> snapshot.with(keys));
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
    String tokenId = EnrollmentToken.tokenIdOf(clientId);
    if (tokenId != null) {
      return findToken(tokenId, keyId);
    }
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
          if (status == KeyStatus.ACTIVE && client.get().isPending()) {
            status = KeyStatus.PENDING;
          }
          return new KeyRecord(k.verifier(), status);
        });
  }

  /**
   * A token session's key: the token's verifier, active while it can still enroll (revoked: a
   * revoked token; expired or used up: expired), so a token that cannot be used is refused at the
   * handshake like any dead key, and a wrong token is a failed login with its penalty.
   */
  private Optional<KeyRecord> findToken(String tokenId, String keyId) {
    if (directory == null || !EnrollmentToken.KEY_ID.equals(keyId)) {
      return Optional.empty();
    }
    return directory
        .enrollmentTokens()
        .read(tokenId)
        .map(
            token -> {
              String unusable = token.unusableReason(clock.instant());
              KeyStatus status =
                  unusable == null
                      ? KeyStatus.ACTIVE
                      : unusable.equals("token-revoked") ? KeyStatus.REVOKED : KeyStatus.EXPIRED;
              return new KeyRecord(token.verifier(), status);
            });
  }

  @Override
  public Permissions permissions(String clientId) {
    return current.get().client(clientId).map(ClientKeys::permissions).orElse(Permissions.ALL);
  }
}
