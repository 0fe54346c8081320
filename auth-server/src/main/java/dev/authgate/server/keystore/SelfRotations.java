package dev.authgate.server.keystore;

import dev.authgate.protocol.crypto.Verifier;
import dev.authgate.protocol.keyfile.ClientKeys;
import dev.authgate.protocol.keyfile.KeyEntry;
import dev.authgate.protocol.keyfile.KeyFileException;
import dev.authgate.protocol.keyfile.KeyFiles;
import dev.authgate.protocol.keyfile.KeyStatus;
import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;

/**
 * The keystore side of a client rotating its own key (docs/PROTOCOL.md §5.7) and of what gives a
 * copied credential away: storing the verifiers a client made, its first login with them (from then
 * on the key they replace is {@link KeyStatus#REPLACED}), and locking a client id when a replaced
 * key is used. Every change holds the keystore's lock and rereads the file first, so servers
 * sharing the directory and {@code keys} commands never undo each other's change.
 */
public final class SelfRotations {
  private final KeystoreDirectory keystore;

  SelfRotations(KeystoreDirectory keystore) {
    this.keystore = keystore;
  }

  /** Why a client's rotation was not stored; the reason goes into ROTATE_RESULT and the audit. */
  public static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;
    private final String reason;

    public Refused(String reason, String text) {
      super(text);
      this.reason = reason;
    }

    /** The stable reason, e.g. {@code key-not-current}. */
    public String reason() {
      return reason;
    }
  }

  /**
   * A stored rotation.
   *
   * @param keys the client's file as written
   * @param keyId the new key's id
   * @param abandoned a key this rotation superseded before it was ever used (the client made it in
   *     an earlier rotation whose answer it never saved), or null
   */
  public record Stored(ClientKeys keys, String keyId, String abandoned) {}

  /**
   * Stores {@code verifier} as the client's new key, replacing {@code currentKeyId} once it is
   * first used. A successor of the current key that was never used (a rotation cut short before the
   * client saved it) is superseded.
   *
   * @throws Refused if the current key no longer counts (revoked, replaced, locked), or the new
   *     verifier is one the client had already
   */
  public Stored store(String clientId, String currentKeyId, Verifier verifier)
      throws IOException, Refused {
    Refused[] refused = new Refused[1];
    Stored stored =
        keystore.locked(
            () -> {
              Path file = keystore.existingClientFile(clientId);
              ClientKeys keys = keystore.readFile(file);
              Instant now = keystore.now();
              KeyEntry current = keys.key(currentKeyId).orElse(null);
              if (keys.locked() != null) {
                refused[0] = new Refused("locked", "this client id is locked");
                return null;
              }
              if (current == null || current.statusAt(now) != KeyStatus.ACTIVE) {
                refused[0] =
                    new Refused(
                        "key-not-current",
                        "key " + currentKeyId + " is no longer this client's current key");
                return null;
              }
              for (KeyEntry key : keys.keys()) {
                if (MessageDigest.isEqual(key.verifier().storedKey(), verifier.storedKey())) {
                  refused[0] =
                      new Refused(
                          "not-fresh",
                          "the new key is one this client had already: make a new secret");
                  return null;
                }
              }
              ClientKeys updated = keys;
              String abandoned = null;
              for (KeyEntry key : keys.keys()) {
                if (currentKeyId.equals(key.replaces())
                    && key.awaitsFirstUse()
                    && key.replaced() == null) {
                  updated = updated.with(key.replacedAt(now));
                  abandoned = key.keyId();
                }
              }
              String keyId = KeyRotations.nextKeyId(updated);
              updated =
                  forgetOldest(
                      updated.with(KeyEntry.selfRotated(keyId, now, verifier, currentKeyId)));
              KeyFiles.writePrivate(file, updated.format(), true);
              return new Stored(updated, keyId, abandoned);
            });
    if (refused[0] != null) {
      throw refused[0];
    }
    return stored;
  }

  /**
   * Replaced keys a client's file keeps, newest first: enough to recognise a copy of any recent
   * credential, while the file stays a few lines however often the client rotates. A copy of an
   * older key is refused as an unknown key (it can do no harm), just not recognised as a copy.
   */
  static final int REPLACED_KEPT = 4;

  /** {@code keys} without its replaced keys beyond the newest {@link #REPLACED_KEPT}. */
  static ClientKeys forgetOldest(ClientKeys keys) {
    // Newest first: by when each was replaced, and among the same second, the later in the file.
    java.util.List<KeyEntry> inFile = keys.keys();
    java.util.List<KeyEntry> replaced =
        inFile.stream()
            .filter(k -> k.replaced() != null && k.revoked() == null)
            .sorted(
                java.util.Comparator.comparing(KeyEntry::replaced)
                    .thenComparing(inFile::indexOf)
                    .reversed())
            .toList();
    if (replaced.size() <= REPLACED_KEPT) {
      return keys;
    }
    java.util.Set<String> forgotten = new java.util.HashSet<>();
    for (KeyEntry old : replaced.subList(REPLACED_KEPT, replaced.size())) {
      forgotten.add(old.keyId());
    }
    java.util.List<KeyEntry> kept = new java.util.ArrayList<>();
    for (KeyEntry key : keys.keys()) {
      if (forgotten.contains(key.keyId())) {
        continue;
      }
      // a key that replaced a forgotten one still names it; the link is no longer needed
      kept.add(
          key.replaces() != null && forgotten.contains(key.replaces())
              ? new KeyEntry(
                  key.keyId(),
                  key.created(),
                  key.revoked(),
                  key.expires(),
                  key.verifier(),
                  null,
                  key.used(),
                  key.usedFrom(),
                  key.replaced(),
                  key.asked())
              : key);
    }
    return new ClientKeys(
        keys.clientId(),
        kept,
        keys.permissions(),
        keys.pendingToken(),
        keys.rotateEvery(),
        keys.locked());
  }

  /**
   * The first time a server asked the client to rotate {@code keyId}: a {@code --rotate-deadline}
   * counts from then, so a key is never refused for not rotating before it was asked to.
   *
   * @return the client's file as written, or null if there was nothing to record (asked before, by
   *     this or another server, or the key is gone)
   */
  public ClientKeys asked(String clientId, String keyId) throws IOException {
    return keystore.locked(
        () -> {
          Path file = keystore.existingClientFile(clientId);
          ClientKeys keys = keystore.readFile(file);
          KeyEntry key = keys.key(keyId).orElse(null);
          if (key == null || key.asked() != null) {
            return null;
          }
          ClientKeys updated = keys.with(key.askedAt(keystore.now()));
          KeyFiles.writePrivate(file, updated.format(), true);
          return updated;
        });
  }

  /**
   * The client's first login with a key it made itself: records it, and from now on the key it
   * replaces (and any other unused key made from that one) is {@link KeyStatus#REPLACED}.
   *
   * @return the client's file as written, or null if there was nothing to record (already done, by
   *     this or another server)
   */
  public ClientKeys firstUse(String clientId, String keyId, String source) throws IOException {
    return keystore.locked(
        () -> {
          Path file = keystore.existingClientFile(clientId);
          ClientKeys keys = keystore.readFile(file);
          KeyEntry key = keys.key(keyId).orElse(null);
          if (key == null || !key.awaitsFirstUse()) {
            return null;
          }
          // To the millisecond: a login with the replaced key whose HELLO went out before this
          // moment was under way, not a copy (LiveKeystore#asOfHello).
          Instant now = keystore.nowToTheMillisecond();
          ClientKeys updated = keys.with(key.usedAt(now, source));
          for (KeyEntry other : keys.keys()) {
            boolean predecessor = other.keyId().equals(key.replaces());
            boolean sibling =
                !other.keyId().equals(keyId)
                    && key.replaces().equals(other.replaces())
                    && other.awaitsFirstUse();
            if ((predecessor || sibling) && other.replaced() == null) {
              updated = updated.with(other.replacedAt(now));
            }
          }
          updated = forgetOldest(updated);
          KeyFiles.writePrivate(file, updated.format(), true);
          return updated;
        });
  }

  /**
   * A lock after a replaced key was used.
   *
   * @param keys the client's file as written
   * @param successor the key that replaced the one presented (the holder that moved on), or null
   */
  public record Locked(ClientKeys keys, KeyEntry successor) {}

  /**
   * Locks the client id because {@code replacedKeyId} was used: every key is refused until an
   * operator unlocks or rotates it.
   *
   * @return the lock, or null if the id was locked already
   */
  public Locked lock(String clientId, String replacedKeyId) throws IOException {
    return keystore.locked(
        () -> {
          Path file = keystore.existingClientFile(clientId);
          ClientKeys keys = keystore.readFile(file);
          if (keys.locked() != null) {
            return null;
          }
          ClientKeys updated = keys.lockedAt(keystore.now());
          KeyFiles.writePrivate(file, updated.format(), true);
          KeyEntry successor = successorOf(keys, replacedKeyId);
          return new Locked(updated, successor);
        });
  }

  /**
   * Lifts a lock. Keys that were replaced stay refused: whoever holds the client's newest key gets
   * in, and a copy of an older one that tries again locks the id again.
   *
   * @return whether the id was locked
   * @throws KeyFileException if the client does not exist
   */
  public boolean unlock(String clientId) throws IOException {
    return keystore.locked(
        () -> {
          Path file = keystore.existingClientFile(clientId);
          ClientKeys keys = keystore.readFile(file);
          if (keys.locked() == null) {
            return false;
          }
          KeyFiles.writePrivate(file, keys.lockedAt(null).format(), true);
          return true;
        });
  }

  /**
   * The newest key made (directly or in a chain) from {@code keyId}; for a key no key was made from
   * (a rotation whose result another holder overtook: both rotated from one key), the newest key
   * made from its sibling; or null.
   */
  static KeyEntry successorOf(ClientKeys keys, String keyId) {
    KeyEntry found = chainFrom(keys, keyId);
    KeyEntry presented = keys.key(keyId).orElse(null);
    if (found != null || presented == null || presented.replaces() == null) {
      return found;
    }
    KeyEntry sibling = null;
    for (KeyEntry key : keys.keys()) {
      if (presented.replaces().equals(key.replaces())
          && !key.keyId().equals(keyId)
          && (sibling == null || key.used() != null)) {
        sibling = key;
      }
    }
    if (sibling == null) {
      return null;
    }
    KeyEntry further = chainFrom(keys, sibling.keyId());
    return further != null ? further : sibling;
  }

  private static KeyEntry chainFrom(ClientKeys keys, String keyId) {
    KeyEntry found = null;
    String from = keyId;
    for (int hops = 0; hops < keys.keys().size(); hops++) {
      KeyEntry next = null;
      for (KeyEntry key : keys.keys()) {
        if (from.equals(key.replaces()) && (next == null || key.used() != null)) {
          next = key;
        }
      }
      if (next == null) {
        break;
      }
      found = next;
      from = next.keyId();
    }
    return found;
  }
}
