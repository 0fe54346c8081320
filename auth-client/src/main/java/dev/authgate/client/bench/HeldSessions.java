package dev.authgate.client.bench;

import dev.authgate.client.connect.VerifiedConnection;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/** What {@code bench sessions} does with the sessions it holds: ping them, close them. */
final class HeldSessions {
  private HeldSessions() {}

  static boolean sleepUntil(long nanoTime) {
    long wait = nanoTime - System.nanoTime();
    if (wait <= 0) {
      return true;
    }
    try {
      Thread.sleep(Duration.ofNanos(wait));
      return true;
    } catch (InterruptedException e) {
      return false;
    }
  }

  static boolean pingOnce(VerifiedConnection connection) {
    try {
      connection.ping();
      return true;
    } catch (IOException | RuntimeException e) {
      try {
        connection.release();
      } catch (IOException ignored) {
        // Gone already.
      }
      return false;
    }
  }

  /** Pings every held session once more: how many the server really kept. */
  static int pingAll(AtomicReferenceArray<VerifiedConnection> held, AtomicLong lost) {
    int alive = 0;
    for (int i = 0; i < held.length(); i++) {
      VerifiedConnection connection = held.get(i);
      if (connection == null) {
        continue;
      }
      if (pingOnce(connection)) {
        alive++;
      } else {
        held.set(i, null);
        lost.incrementAndGet();
      }
    }
    return alive;
  }

  static void closeAll(AtomicReferenceArray<VerifiedConnection> held) {
    for (int i = 0; i < held.length(); i++) {
      VerifiedConnection connection = held.getAndSet(i, null);
      if (connection != null) {
        try {
          connection.close();
        } catch (IOException ignored) {
          // Best effort: the process is about to end anyway.
        }
      }
    }
  }
}
