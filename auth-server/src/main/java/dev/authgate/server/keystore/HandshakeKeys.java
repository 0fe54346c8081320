package dev.authgate.server.keystore;

import dev.authgate.protocol.handshake.VerifierLookup;
import dev.authgate.protocol.keyfile.ClientKeys;
import dev.authgate.protocol.keyfile.KeyEntry;
import dev.authgate.protocol.keyfile.KeyStatus;
import dev.authgate.protocol.keyfile.Permissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Supplier;

/** The keystore as one handshake sees it ({@link LiveKeystore#asOfHello}). */
public final class HandshakeKeys implements VerifierLookup {
  /**
   * A successor's {@code used=} is kept to the millisecond: a HELLO in the same millisecond counts
   * as before it.
   */
  static final Duration IN_FLIGHT_MARGIN = Duration.ofMillis(1);

  /**
   * How long after its HELLO a login with a replaced key may still count as under way (below): an
   * honest client reads its file when HELLO arrives and answers at once, so this only has to cover
   * a busy machine, not a thief who holds handshakes open to wait for a rotation.
   */
  static final Duration IN_FLIGHT_AUTH_WINDOW = Duration.ofSeconds(2);

  private final LiveKeystore keystore;
  private final Instant helloSent;
  private final long helloNanos;
  private final Supplier<String> remote;
  private volatile boolean replacedInFlight;

  HandshakeKeys(
      LiveKeystore keystore, Instant helloSent, long helloNanos, Supplier<String> remote) {
    this.keystore = keystore;
    this.helloSent = helloSent;
    this.helloNanos = helloNanos;
    this.remote = remote;
  }

  /** Whether this handshake let a replaced key in as a login under way at the rotation. */
  public boolean replacedInFlight() {
    return replacedInFlight;
  }

  @Override
  public Optional<KeyRecord> find(String clientId, String keyId) {
    // A rotating client's file as it is now: another server may have seen its new key's first
    // login (so this key is replaced and must not be asked to rotate again) or locked it.
    keystore.refreshRotating(clientId);
    Optional<KeyRecord> found = keystore.find(clientId, keyId);
    if (found.isEmpty() || found.get().status() != KeyStatus.REPLACED) {
      return found;
    }
    ClientKeys client = keystore.known(clientId).orElse(null);
    KeyEntry key = client == null ? null : client.key(keyId).orElse(null);
    if (key == null
        || System.nanoTime() - helloNanos > IN_FLIGHT_AUTH_WINDOW.toNanos()
        || !underWayAtFirstUse(client, keyId, helloSent, remote.get())) {
      return found;
    }
    // Judged as if not replaced: expiry, approval and the lock still count; no rotation ask.
    KeyRecord asIfCurrent = keystore.judged(client, key.reinstated());
    if (asIfCurrent.status() != KeyStatus.ACTIVE) {
      return Optional.of(asIfCurrent);
    }
    replacedInFlight = true;
    return Optional.of(new KeyRecord(asIfCurrent.verifier(), KeyStatus.ACTIVE));
  }

  @Override
  public Permissions permissions(String clientId) {
    return keystore.permissions(clientId);
  }

  /**
   * Whether {@code keyId}'s successor was first used after {@code helloSent} (within a margin),
   * from the same address as {@code remote}.
   */
  private static boolean underWayAtFirstUse(
      ClientKeys client, String keyId, Instant helloSent, String remote) {
    String host = hostOf(remote);
    return client.keys().stream()
        .filter(k -> keyId.equals(k.replaces()) && k.used() != null && k.usedFrom() != null)
        .anyMatch(
            successor ->
                helloSent.isBefore(successor.used().plus(IN_FLIGHT_MARGIN))
                    && host != null
                    && host.equals(hostOf(successor.usedFrom())));
  }

  /** The address of {@code ip:port} or {@code [ip]:port}; null if it is neither. */
  static String hostOf(String addressAndPort) {
    if (addressAndPort == null) {
      return null;
    }
    if (addressAndPort.startsWith("[")) {
      int end = addressAndPort.indexOf(']');
      return end < 0 ? null : addressAndPort.substring(1, end);
    }
    int colon = addressAndPort.lastIndexOf(':');
    return colon <= 0 ? null : addressAndPort.substring(0, colon);
  }
}
