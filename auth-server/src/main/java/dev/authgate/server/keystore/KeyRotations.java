package dev.authgate.server.keystore;

import dev.authgate.protocol.crypto.ScramKeys;
import dev.authgate.protocol.keyfile.ClientKeys;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.keyfile.KeyEntry;
import dev.authgate.protocol.keyfile.KeyFileException;
import dev.authgate.protocol.keyfile.KeyFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * New keys for existing clients: rotation (a new key, the old ones kept for a grace period),
 * reinstatement of a revoked id, and undoing either when its credential could not be saved. Every
 * change holds the keystore's lock.
 */
public final class KeyRotations {
  private final KeystoreDirectory keystore;

  KeyRotations(KeystoreDirectory keystore) {
    this.keystore = keystore;
  }

  /** Why {@code rotate} refuses a revoked id. */
  public static final String ROTATE_REVOKED = "rotating would let it in again";

  /**
   * Rotates a client's key: adds a new key with a fresh secret and lets every other active key work
   * only until {@code grace} from now (then it is refused as expired-key).
   *
   * @return the new key's credential, for the caller to deliver
   * @throws KeyFileException if the client does not exist or the file cannot be rewritten
   */
  public Rotation rotate(String clientId, Duration grace) throws IOException {
    return keystore.locked(
        () -> {
          Path file = keystore.existingClientFile(clientId);
          String previousText = KeyFiles.readPrivate(file);
          ClientKeys keys = keystore.readFile(file);
          if (KeystoreDirectory.isRevoked(keys)) {
            throw keystore.revokedId(clientId, file, ROTATE_REVOKED);
          }
          Instant now = keystore.now();
          if (keys.locked() != null) {
            // A copy of some key is out there: none of them gets a grace period, and the new
            // credential (which only the operator hands out) starts clean.
            ClientKeys updated = keys.lockedAt(null);
            for (KeyEntry key : keys.keys()) {
              updated = updated.with(key.revokedAt(now));
            }
            return withNewKey(
                file, clientId, updated, now, now, previousText, keystore.randomness.bytes(32));
          }
          Instant until = now.plus(grace);
          ClientKeys updated = keys;
          for (KeyEntry key : keys.keys()) {
            boolean active =
                key.revoked() == null && (key.expires() == null || key.expires().isAfter(now));
            if (active && (key.expires() == null || key.expires().isAfter(until))) {
              updated = updated.with(key.expiringAt(until));
            }
          }
          return withNewKey(
              file, clientId, updated, now, until, previousText, keystore.randomness.bytes(32));
        });
  }

  /**
   * Gives a revoked client a new key: the only way a revoked id is let in again. Its revoked keys
   * stay in the file (the audit can still tell them apart); the new key gets the next key id.
   *
   * @return the new key's credential, for the caller to deliver ({@code oldKeysUntil} is now)
   * @throws KeyFileException if the client does not exist, is not revoked (use {@link #rotate}), or
   *     the file cannot be rewritten
   */
  public Rotation reinstate(String clientId) throws IOException {
    return reinstate(clientId, keystore.randomness.bytes(32));
  }

  /** As {@link #reinstate(String)}, with the new key's secret made by the caller. */
  public Rotation reinstate(String clientId, byte[] secret) throws IOException {
    return keystore.locked(
        () -> {
          Path file = keystore.existingClientFile(clientId);
          String previousText = KeyFiles.readPrivate(file);
          ClientKeys keys = keystore.readFile(file);
          if (!KeystoreDirectory.isRevoked(keys)) {
            throw new KeyFileException(
                file,
                "client '"
                    + clientId
                    + "' is not revoked; give it a new key with 'keys rotate "
                    + clientId
                    + "'");
          }
          Instant now = keystore.now();
          return withNewKey(file, clientId, keys, now, now, previousText, secret);
        });
  }

  /** Adds the next key with a fresh secret to {@code keys} and writes the file. */
  private Rotation withNewKey(
      Path file,
      String clientId,
      ClientKeys keys,
      Instant now,
      Instant oldUntil,
      String previous,
      byte[] secret)
      throws IOException {
    String keyId = nextKeyId(keys);
    ClientKeys updated =
        keys.with(
            new KeyEntry(keyId, now, null, null, ScramKeys.fromSaltedPassword(secret).verifier()));
    KeyFiles.writePrivate(file, updated.format(), true);
    return new Rotation(
        new Credential(clientId, keyId, secret, keystore.hostKeyPins()), oldUntil, previous);
  }

  /** The key id the next rotation or reinstatement of a client gets. */
  public String nextKeyIdOf(String clientId) throws IOException {
    return nextKeyId(keystore.readFile(keystore.existingClientFile(clientId)));
  }

  /** Puts a client's file back as it was before a rotation whose credential could not be saved. */
  public void undo(String clientId, Rotation rotation) throws IOException {
    keystore.locked(
        () -> {
          KeyFiles.writePrivate(keystore.fileFor(clientId), rotation.previousFile(), true);
          return null;
        });
  }

  static String nextKeyId(ClientKeys keys) {
    int highest = 0;
    for (KeyEntry key : keys.keys()) {
      if (key.keyId().matches("k\\d{1,9}")) {
        highest = Math.max(highest, Integer.parseInt(key.keyId().substring(1)));
      }
    }
    String id = "k" + (highest + 1);
    while (keys.key(id).isPresent()) {
      id = id + "x";
    }
    return id;
  }
}
