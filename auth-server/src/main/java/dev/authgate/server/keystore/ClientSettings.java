package dev.authgate.server.keystore;

import dev.authgate.protocol.keyfile.ClientKeys;
import dev.authgate.protocol.keyfile.KeyFileException;
import dev.authgate.protocol.keyfile.KeyFiles;
import dev.authgate.protocol.keyfile.Permissions;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.UnaryOperator;

/**
 * What each client of a keystore may do (its permissions) and how often it is asked to rotate its
 * own key. Every change holds the keystore's lock and replaces the client's file atomically.
 */
public final class ClientSettings {
  private final KeystoreDirectory keystore;

  ClientSettings(KeystoreDirectory keystore) {
    this.keystore = keystore;
  }

  /**
   * Changes what a client may do: {@code change} gets its permissions now and returns the new ones,
   * which replace them atomically (a running server applies them within its reload interval).
   *
   * @return the permissions before and after
   * @throws KeyFileException if the client does not exist or the file cannot be rewritten
   */
  public Permissions[] setPermissions(String clientId, UnaryOperator<Permissions> change)
      throws IOException {
    return keystore.locked(
        () -> {
          Path file = keystore.existingClientFile(clientId);
          ClientKeys keys = keystore.readFile(file);
          Permissions updated = change.apply(keys.permissions());
          KeyFiles.writePrivate(file, keys.with(updated).format(), true);
          return new Permissions[] {keys.permissions(), updated};
        });
  }

  /**
   * Sets how often a client is asked to rotate its own key (null: the server's default).
   *
   * @return the policy before the change
   * @throws KeyFileException if the client does not exist
   */
  public Duration setRotateEvery(String clientId, Duration every) throws IOException {
    return keystore.locked(
        () -> {
          Path file = keystore.existingClientFile(clientId);
          ClientKeys keys = keystore.readFile(file);
          KeyFiles.writePrivate(file, keys.rotatingEvery(every).format(), true);
          return keys.rotateEvery();
        });
  }

  /** A client's permissions now. */
  public Permissions permissionsOf(String clientId) throws IOException {
    return keystore.readFile(keystore.existingClientFile(clientId)).permissions();
  }
}
