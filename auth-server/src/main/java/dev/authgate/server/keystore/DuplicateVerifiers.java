package dev.authgate.server.keystore;

import dev.authgate.protocol.keyfile.ClientKeys;
import dev.authgate.protocol.keyfile.KeyEntry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Refuses clients whose key files share a verifier. Two ids with the same StoredKey accept the same
 * secret, so a credential file with its id edited would log in as the other machine; secrets are 32
 * random bytes, so a shared verifier only ever comes from a copied or edited file. Both sides are
 * refused — the keystore cannot tell which is genuine — and each refusal names both files.
 */
final class DuplicateVerifiers {
  private DuplicateVerifiers() {}

  static void refuse(
      Map<String, ClientKeys> clients,
      Function<String, Path> fileOf,
      List<KeystoreSnapshot.Skipped> skipped) {
    Map<String, TreeSet<String>> idsByVerifier = new LinkedHashMap<>();
    for (ClientKeys client : clients.values()) {
      for (KeyEntry key : client.keys()) {
        idsByVerifier
            .computeIfAbsent(key.verifier().fingerprint(), f -> new TreeSet<>())
            .add(client.clientId());
      }
    }
    TreeSet<String> refused = new TreeSet<>();
    List<List<String>> groups = new ArrayList<>();
    for (TreeSet<String> ids : idsByVerifier.values()) {
      if (ids.size() > 1) {
        groups.add(List.copyOf(ids));
        refused.addAll(ids);
      }
    }
    for (Iterator<String> it = refused.iterator(); it.hasNext(); ) {
      String id = it.next();
      clients.remove(id);
      List<String> others = new ArrayList<>();
      groups.stream().filter(g -> g.contains(id)).forEach(g -> others.addAll(g));
      others.removeIf(id::equals);
      Path file = fileOf.apply(id);
      skipped.add(
          new KeystoreSnapshot.Skipped(
              file,
              file
                  + " holds the same verifier as "
                  + String.join(
                      ", ",
                      others.stream().distinct().map(o -> fileOf.apply(o).toString()).toList())
                  + " (a copied or edited key file); both are refused: remove the copy and run"
                  + " auth-server keys rotate for the genuine client"));
    }
  }
}
