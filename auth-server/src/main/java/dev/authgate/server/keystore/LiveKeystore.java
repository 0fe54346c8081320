package dev.authgate.server.keystore;

import dev.authgate.protocol.handshake.VerifierLookup;
import dev.authgate.protocol.keyfile.ClientIds;
import dev.authgate.protocol.keyfile.ClientKeys;
import dev.authgate.protocol.keyfile.EnrollmentToken;
import dev.authgate.protocol.keyfile.KeyEntry;
import dev.authgate.protocol.keyfile.KeyStatus;
import dev.authgate.protocol.keyfile.Permissions;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

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
  private volatile Duration defaultRotateEvery;
  private volatile Duration rotateDeadline;

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

  /**
   * How often a client without its own {@code rotate-every} is asked to rotate its key; null (the
   * default) asks none.
   */
  public void rotateEveryByDefault(Duration every) {
    this.defaultRotateEvery = every;
  }

  /**
   * How long a key may stay due for rotation before it is refused as expired (a machine that cannot
   * save a new key keeps working until then); null (the default) for never. WELCOME's rotate
   * announcement tells the client when.
   */
  public void rotateDeadline(Duration deadline) {
    this.rotateDeadline = deadline;
  }

  /** Now, by the clock key states are judged by. */
  public Instant now() {
    return clock.instant();
  }

  /**
   * This keystore as seen by one handshake whose HELLO went out at {@code helloSent} ({@code
   * helloNanos} on this process's monotonic clock) to {@code remote} (its {@code address:port} once
   * AUTH arrived: a trusted proxy's header may name it after HELLO). A key replaced by a successor
   * whose first login came after that HELLO is still let in (without a rotation ask) when its AUTH
   * came within {@link HandshakeKeys#IN_FLIGHT_AUTH_WINDOW} of HELLO and from the address the
   * successor was first used from: the client read its credential file after HELLO arrived, so
   * before another process of the same machine saved the new key — an honest login that was under
   * way, not a copy. Every other login with a replaced key locks the id.
   */
  public HandshakeKeys asOfHello(Instant helloSent, long helloNanos, Supplier<String> remote) {
    return new HandshakeKeys(this, helloSent, helloNanos, remote);
  }

  /**
   * A change this server made to a client's file: in force here at once, before the next reload.
   */
  public void changed(ClientKeys keys) {
    if (keys != null) {
      current.updateAndGet(snapshot -> snapshot.with(keys));
    }
  }

  /**
   * Rereads the file of a client that rotates its own keys, if it changed since this server last
   * read it: another server sharing the directory may have stored its new key, seen the new key's
   * first login, or locked it a moment ago, before this server's watcher looks again. One small
   * read, only for clients with a rotation policy or a self-rotated key.
   *
   * @return whether the client's entry was refreshed
   */
  public boolean refreshRotating(String clientId) {
    if (directory == null) {
      return false;
    }
    ClientKeys known = current.get().client(clientId).orElse(null);
    if (known == null
        || rotateEvery(known) == null
            && known.keys().stream().noneMatch(k -> k.replaces() != null)) {
      return false;
    }
    return reread(clientId);
  }

  /**
   * Rereads one client's file now: another server sharing the directory changed it in a way that
   * cannot wait for the watcher (it locked the id).
   *
   * @return whether it had changed
   */
  public boolean refresh(String clientId) {
    return reread(clientId);
  }

  /** Each client file's stamp when it was last reread here, so an unchanged file is not read. */
  private final Map<String, Object> rereadStamps = new ConcurrentHashMap<>();

  /**
   * Rereads one client's file into the snapshot; whether it had changed. A file the last full read
   * skipped (corrupt, someone else's, a copy of another client's verifier) stays out until the
   * watcher reads the directory again, and so does one that now shares a verifier with another
   * client: only a full read judges those, refusing both sides.
   */
  private boolean reread(String clientId) {
    if (directory == null) {
      return false;
    }
    Object stamp = directory.clientFileStamp(clientId);
    if (stamp != null && stamp.equals(rereadStamps.get(clientId))) {
      return false; // as it was when last read here (taken in then, or refused then)
    }
    // Checked against one snapshot and put into that same one: a reload (or another reread) that
    // lands in between means reading and checking again, so neither a file the reload refused nor
    // a file's older content is put back over it.
    for (int attempt = 0; attempt < 3; attempt++) {
      KeystoreSnapshot snapshot = current.get();
      ClientKeys known = snapshot.client(clientId).orElse(null);
      if (known == null && snapshot.skipped(directory.fileFor(clientId))) {
        return false;
      }
      ClientKeys now;
      try {
        if (stamp != null) {
          rereadStamps.put(clientId, stamp);
        }
        now = directory.client(clientId);
      } catch (IOException | RuntimeException e) {
        return false; // the watcher reports a file it cannot read
      }
      if (known != null && now.format().equals(known.format())) {
        return false;
      }
      if (snapshot.sharingAVerifierWith(now).isPresent()) {
        return false; // the watcher's next read refuses both files and says so
      }
      if (current.compareAndSet(snapshot, snapshot.with(now))) {
        return true;
      }
      stamp = directory.clientFileStamp(clientId);
    }
    return false; // the watcher's next read takes it in
  }

  /**
   * Whether a session's key is gone from a client that is still here and not locked: a key the
   * client replaced long ago, dropped from its file to keep it short. Its session runs to its end
   * (a key is revoked with {@code keys revoke}, which keeps the line).
   */
  public boolean forgottenByRotation(String clientId, String keyId) {
    ClientKeys client = current.get().client(clientId).orElse(null);
    return client != null
        && client.locked() == null
        && client.key(keyId).isEmpty()
        && client.keys().stream().anyMatch(k -> k.replaces() != null || k.replaced() != null);
  }

  /** Whether {@code keyId} was never asked to rotate (its first ask is to be recorded). */
  public boolean neverAsked(String clientId, String keyId) {
    return current
        .get()
        .client(clientId)
        .flatMap(c -> c.key(keyId))
        .map(k -> k.asked() == null)
        .orElse(false);
  }

  /** Whether {@code keyId} is a key the client made itself and has not logged in with yet. */
  public boolean awaitsFirstUse(String clientId, String keyId) {
    return current
        .get()
        .client(clientId)
        .flatMap(c -> c.key(keyId))
        .map(KeyEntry::awaitsFirstUse)
        .orElse(false);
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
    Optional<ClientKeys> known = current.get().client(clientId);
    if (known.isPresent()
        && known.get().key(keyId).isEmpty()
        && ClientIds.isValid(keyId)
        && reread(clientId)) {
      // A key another server sharing the directory stored a moment ago (a client's own
      // rotation), before this server's watcher looks again.
      known = current.get().client(clientId);
    } else if (known.isEmpty()
        && directory != null
        && directory.clientFileStamp(clientId) != null
        && reread(clientId)) {
      // A machine another server sharing the directory enrolled (or an operator added) a moment
      // ago: verifiable here at once, not after the watcher's next look. One lstat for an id with
      // no file.
      known = current.get().client(clientId);
    }
    Optional<ClientKeys> client = known;
    Optional<KeyEntry> key = client.flatMap(c -> c.key(keyId));
    Instant now = clock.instant();
    return key.map(k -> record(client.get(), k, now));
  }

  /** A client as this server knows it now, without rereading its file. */
  Optional<ClientKeys> known(String clientId) {
    return current.get().client(clientId);
  }

  /** How {@code key} of {@code client} would be judged now: what {@link #find} returns for it. */
  KeyRecord judged(ClientKeys client, KeyEntry key) {
    return record(client, key, clock.instant());
  }

  /** {@code k}'s record for a login at {@code now}: its state, and whether to ask a rotation. */
  private KeyRecord record(ClientKeys client, KeyEntry k, Instant now) {
    KeyStatus status = k.statusAt(now);
    // A client past its own expiry (keys set ID --expires) is refused as expired-key.
    if (status == KeyStatus.ACTIVE && client.permissions().expiredAt(now)) {
      status = KeyStatus.EXPIRED;
    }
    if (status == KeyStatus.ACTIVE && client.isPending()) {
      status = KeyStatus.PENDING;
    }
    if ((status == KeyStatus.ACTIVE || status == KeyStatus.REPLACED) && client.locked() != null) {
      status = KeyStatus.LOCKED;
    }
    Instant refuseAfter = refuseAfter(client, k, now);
    if (status == KeyStatus.ACTIVE
        && k.asked() != null
        && refuseAfter != null
        && !now.isBefore(refuseAfter)) {
      status = KeyStatus.EXPIRED; // not rotated by its deadline
    }
    boolean ask = status == KeyStatus.ACTIVE && rotationDue(client, k, now);
    return new KeyRecord(k.verifier(), status, ask ? new RotationAsk(refuseAfter) : null);
  }

  /** How often {@code client} is asked to rotate: its own policy, or the server's; null: never. */
  private Duration rotateEvery(ClientKeys client) {
    Duration own = client.rotateEvery();
    if (own == null) {
      return defaultRotateEvery;
    }
    return own.isZero() ? null : own;
  }

  /**
   * When {@code key} stops being taken because it was not rotated: its rotation deadline after the
   * first ask (after {@code now} if it was never asked, as the ask about to be made will be
   * recorded), or null (no policy, no deadline).
   */
  private Instant refuseAfter(ClientKeys client, KeyEntry key, Instant now) {
    Duration every = rotateEvery(client);
    Duration deadline = rotateDeadline;
    if (every == null || deadline == null) {
      return null;
    }
    return (key.asked() != null ? key.asked() : now).plus(deadline);
  }

  /**
   * Whether a client logging in with {@code key} is asked to rotate it: its policy (or the server's
   * default) says the key is old enough, or a rotation from it was cut short (a successor the
   * client never used: it crashed before saving it, so it is asked again).
   */
  private boolean rotationDue(ClientKeys client, KeyEntry key, Instant now) {
    Duration every = rotateEvery(client);
    if (every == null) {
      return false;
    }
    if (!now.isBefore(key.created().plus(every))) {
      return true;
    }
    return client.keys().stream()
        .anyMatch(
            k -> key.keyId().equals(k.replaces()) && k.awaitsFirstUse() && k.replaced() == null);
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
