package dev.authgate.protocol.identity;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import java.util.Collection;
import java.util.List;

/**
 * A client's decision on the host key that signed a server's HELLO, made before the client sends
 * anything sealed to that server. Implementations are thread-safe.
 */
@FunctionalInterface
public interface HostKeyCheck {
  /**
   * Accepts {@code presented} or refuses it.
   *
   * @param presented the key whose signature on HELLO has been verified
   * @throws ProtocolException {@link Reason#HOST_KEY_NOT_TRUSTED} naming the expected and the
   *     presented fingerprints
   */
  void check(HostPublicKey presented) throws ProtocolException;

  /** Accepts only a key whose fingerprint is one of {@code fingerprints}. */
  static HostKeyCheck pinned(Collection<String> fingerprints) {
    List<String> pins = List.copyOf(fingerprints);
    return presented -> {
      if (!pins.contains(presented.fingerprint())) {
        throw mismatch(pins, presented, "");
      }
    };
  }

  /**
   * The refusal for a key that is not pinned: it names what was expected, what was presented and
   * what to do, never silently trusting the new key.
   *
   * @param where the credential or token the pins came from, for the message ("" if none)
   */
  static ProtocolException mismatch(List<String> pins, HostPublicKey presented, String where) {
    String from = where.isEmpty() ? "" : " in " + where;
    if (pins.isEmpty()) {
      return new ProtocolException(
          Reason.HOST_KEY_NOT_TRUSTED,
          "the server's host key is "
              + presented.fingerprint()
              + " and no host key is pinned"
              + from
              + ": compare it with 'auth-server keys host-key' on the server, then pin it"
              + " ('auth-client pin') or connect once with --accept-new");
    }
    return new ProtocolException(
        Reason.HOST_KEY_NOT_TRUSTED,
        "the server's host key "
            + presented.fingerprint()
            + " is not the one pinned"
            + from
            + " ("
            + String.join(", ", pins)
            + "): someone may be posing as the server, or its host key was rotated and retired"
            + " while this machine was away; if 'auth-server keys host-key' on the server shows "
            + presented.fingerprint()
            + ", pin it with 'auth-client pin', else do not connect");
  }
}
