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

  SessionCount(SessionLimits limits) {
    this.limits = limits;
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
      if (mine >= limits.maxPerClient()) {
        return "client already has " + mine + " verified sessions (--max-sessions-per-client)";
      }
      byClientId.put(clientId, mine + 1);
      total++;
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
      byClientId.computeIfPresent(clientId, (id, n) -> n <= 1 ? null : n - 1);
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
