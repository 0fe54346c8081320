package dev.authgate.server.connection;

import dev.authgate.protocol.handshake.VerifierLookup;
import dev.authgate.server.keystore.LiveKeystore;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * Changes to a client's keys file that end sessions (a clone lock), between this server and the
 * others of a cluster: one made here ends the client's sessions here at once and is announced; one
 * announced by another server is reread here off the cluster's subscriber thread, once however
 * often it is named meanwhile, and for a client this server knows only (the message names an id,
 * never a file to load).
 */
final class KeyChangeRelay {
  private final VerifierLookup keys;
  private final Executor executor;
  private final Runnable revalidateSessions;

  /** Client ids another server said it changed, not yet reread here. */
  private final Set<String> pending = ConcurrentHashMap.newKeySet();

  /** Tells the other servers of a cluster about a client whose keys file this server changed. */
  private volatile Consumer<String> announce = clientId -> {};

  KeyChangeRelay(VerifierLookup keys, Executor executor, Runnable revalidateSessions) {
    this.keys = keys;
    this.executor = executor;
    this.revalidateSessions = revalidateSessions;
  }

  /** Hears and tells the other servers that {@code shared} links this one to. */
  void join(SharedState shared) {
    announce = shared.keyChanges(this::changedElsewhere);
  }

  /** This server changed {@code clientId}'s keys file in a way that ends sessions. */
  void changedHere(String clientId) {
    revalidateSessions.run();
    announce.accept(clientId);
  }

  /** Another server changed {@code clientId}'s keys file: read it now and apply it to sessions. */
  void changedElsewhere(String clientId) {
    if (!(keys instanceof LiveKeystore live)
        || live.snapshot().client(clientId).isEmpty()
        || !pending.add(clientId)) {
      return;
    }
    try {
      executor.execute(
          () -> {
            pending.remove(clientId);
            if (live.refresh(clientId)) {
              revalidateSessions.run();
            }
          });
    } catch (RejectedExecutionException stopping) {
      pending.remove(clientId);
    }
  }
}
