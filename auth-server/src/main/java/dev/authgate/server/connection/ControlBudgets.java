package dev.authgate.server.connection;

import java.time.Clock;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@link ControlBudget} of each client id with a session on this server. Bounded: past {@link
 * #SWEEP_AT} clients, those whose bucket is full again (nothing spent for five seconds) are
 * forgotten — a forgotten client starts full, which is what it had. Thread-safe.
 */
final class ControlBudgets {
  /** Clients remembered before full buckets are swept. */
  static final int SWEEP_AT = 10_000;

  private final Clock clock;
  private final ConcurrentHashMap<String, ControlBudget> byClient = new ConcurrentHashMap<>();

  ControlBudgets(Clock clock) {
    this.clock = clock;
  }

  /** {@code clientId}'s budget. */
  ControlBudget of(String clientId) {
    if (byClient.size() >= SWEEP_AT) {
      byClient.values().removeIf(ControlBudget::full);
    }
    return byClient.computeIfAbsent(clientId, id -> new ControlBudget(clock));
  }
}
