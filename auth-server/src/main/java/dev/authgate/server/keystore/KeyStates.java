package dev.authgate.server.keystore;

import dev.authgate.protocol.keyfile.ClientKeys;
import dev.authgate.protocol.keyfile.KeyEntry;
import dev.authgate.protocol.keyfile.KeyStatus;
import java.time.Instant;
import java.util.Locale;

/**
 * What a server does with a key now, in the words {@code keys list} and the admin API share: {@code
 * active}, {@code pending}, {@code expired} (its own grace period, or the client's {@code
 * --expires}), {@code revoked}, {@code replaced} (by the client's own rotation), or {@code locked}.
 */
public final class KeyStates {
  private KeyStates() {}

  /** The key's state at {@code now}. */
  public static String state(ClientKeys client, KeyEntry key, Instant now) {
    KeyStatus status = key.statusAt(now);
    if (client.locked() != null && (status == KeyStatus.ACTIVE || status == KeyStatus.REPLACED)) {
      return "locked";
    }
    if (status == KeyStatus.ACTIVE && client.permissions().expiredAt(now)) {
      return "expired";
    }
    if (status == KeyStatus.ACTIVE && client.isPending()) {
      return "pending";
    }
    return status.name().toLowerCase(Locale.ROOT);
  }

  /**
   * When the key stops working: its own expiry or the client's, whichever comes first; null if it
   * does not end (or has ended: revoked or replaced).
   */
  public static Instant until(ClientKeys client, KeyEntry key) {
    if (key.revoked() != null || key.replaced() != null) {
      return null;
    }
    Instant own = key.expires();
    Instant clients = client.permissions().expires();
    return own == null ? clients : clients == null ? own : own.isBefore(clients) ? own : clients;
  }

  /**
   * The client's state as one word: {@code locked}, {@code pending}, {@code active} (some key
   * works), {@code expired} (keys are not revoked, but none works), or {@code revoked} (every key
   * is).
   */
  public static String clientState(ClientKeys client, Instant now) {
    boolean anyActive = false;
    boolean allRevoked = true;
    for (KeyEntry key : client.keys()) {
      String state = state(client, key, now);
      if (state.equals("locked") || state.equals("pending")) {
        return state;
      }
      anyActive |= state.equals("active");
      allRevoked &= state.equals("revoked");
    }
    return anyActive ? "active" : allRevoked ? "revoked" : "expired";
  }
}
