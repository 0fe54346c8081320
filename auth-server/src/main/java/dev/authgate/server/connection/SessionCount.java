package dev.authgate.server.connection;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Counts verified sessions, in total and per client id, against {@link SessionLimits}. A session
 * takes a place after its proof verifies and before WELCOME, and gives it back when it ends.
 *
 * <p>Thread-safe; the lock is held for a map update only.
 */
final class SessionCount {
  private final SessionLimits limits;
  private final ReentrantLock lock = new ReentrantLock();
  private final Map<String, Integer> byClientId = new HashMap<>();
  private int total;
  private volatile SessionRegistry registry = SessionRegistry.LOCAL;

  SessionCount(SessionLimits limits) {
    this.limits = limits;
  }

  /** Counts sessions on other servers too, from now on. */
  void share(SessionRegistry shared) {
    this.registry = shared;
  }

  /** Sessions per client id on this server now. */
  java.util.Map<String, Integer> perClient() {
    lock.lock();
    try {
      return new HashMap<>(byClientId);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Takes a place for a session of {@code clientId}.
   *
   * @return null if taken (the caller must {@link #leave}); otherwise why not, for the audit log
   */
  String tryEnter(String clientId) {
    lock.lock();
    try {
      if (total >= limits.maxSessions()) {
        return "the server has " + total + " verified sessions (--max-sessions)";
      }
      int mine = byClientId.getOrDefault(clientId, 0);
      int elsewhere = registry.elsewhere(clientId);
      if (mine + elsewhere >= limits.maxPerClient()) {
        return "client already has "
            + (mine + elsewhere)
            + " verified sessions"
            + (elsewhere > 0 ? " (" + elsewhere + " on other servers)" : "")
            + " (--max-sessions-per-client)";
      }
      byClientId.put(clientId, mine + 1);
      total++;
      // Under the lock, so the counts a client's changes publish leave in order.
      registry.changed(clientId, mine + 1);
      return null;
    } finally {
      lock.unlock();
    }
  }

  /** Gives back a place taken by {@link #tryEnter}. */
  void leave(String clientId) {
    lock.lock();
    try {
      total--;
      Integer left = byClientId.computeIfPresent(clientId, (id, n) -> n <= 1 ? null : n - 1);
      registry.changed(clientId, left == null ? 0 : left);
    } finally {
      lock.unlock();
    }
  }

  /** Verified sessions open now. */
  int total() {
    lock.lock();
    try {
      return total;
    } finally {
      lock.unlock();
    }
  }
}
