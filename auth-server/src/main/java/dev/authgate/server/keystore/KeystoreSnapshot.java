package dev.authgate.server.keystore;

import dev.authgate.protocol.keyfile.ClientKeys;
import dev.authgate.protocol.keyfile.KeyEntry;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The keystore directory as read at one moment: every client whose file was usable, and every file
 * that was skipped with the reason. Immutable.
 *
 * @param clients usable clients by client id
 * @param skipped files that were refused (corrupt, too open, unreadable) and why
 */
public record KeystoreSnapshot(Map<String, ClientKeys> clients, List<Skipped> skipped) {
  /** Copies both collections. */
  public KeystoreSnapshot {
    clients = Map.copyOf(clients);
    skipped = List.copyOf(skipped);
  }

  /** The client's keys, if its file was usable. */
  public Optional<ClientKeys> client(String clientId) {
    return Optional.ofNullable(clients.get(clientId));
  }

  /** This snapshot with {@code keys} added (or replacing the client's entry). */
  public KeystoreSnapshot with(ClientKeys keys) {
    Map<String, ClientKeys> more = new java.util.HashMap<>(clients);
    more.put(keys.clientId(), keys);
    return new KeystoreSnapshot(more, skipped);
  }

  /**
   * Another client holding one of {@code keys}' verifiers, if any: a copied or edited file, which
   * {@link DuplicateVerifiers} refuses with its original when the directory is read.
   */
  public Optional<String> sharingAVerifierWith(ClientKeys keys) {
    for (ClientKeys other : clients.values()) {
      if (other.clientId().equals(keys.clientId())) {
        continue;
      }
      for (KeyEntry theirs : other.keys()) {
        for (KeyEntry mine : keys.keys()) {
          if (Arrays.equals(theirs.verifier().storedKey(), mine.verifier().storedKey())) {
            return Optional.of(other.clientId());
          }
        }
      }
    }
    return Optional.empty();
  }

  /** Whether {@code file} was skipped (refused, with why) when this snapshot was read. */
  public boolean skipped(Path file) {
    return skipped.stream().anyMatch(s -> s.file().equals(file));
  }

  /** How many keys all usable clients hold. */
  public int keyCount() {
    return clients.values().stream().mapToInt(c -> c.keys().size()).sum();
  }

  /**
   * A file that was not loaded.
   *
   * @param file the file
   * @param problem why, naming the file and the fix
   */
  public record Skipped(Path file, String problem) {}
}
