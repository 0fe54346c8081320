package dev.authgate.server.connection;

/**
 * Verified sessions on the other servers of a cluster, for caps that hold across all of them. On a
 * server of its own ({@link #LOCAL}) there are none elsewhere.
 *
 * <p>Implementations are thread-safe; neither method waits on anything remote.
 */
public interface SessionRegistry {
  /** A server on its own. */
  SessionRegistry LOCAL =
      new SessionRegistry() {
        @Override
        public int elsewhere(String clientId) {
          return 0;
        }

        @Override
        public void changed(String clientId, int here) {}
      };

  /** Verified sessions of {@code clientId} on the other servers, as last heard. */
  int elsewhere(String clientId);

  /** Tells the others that {@code clientId} now has {@code here} sessions on this server. */
  void changed(String clientId, int here);
}
