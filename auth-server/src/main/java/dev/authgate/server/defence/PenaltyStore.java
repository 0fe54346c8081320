package dev.authgate.server.defence;

import dev.authgate.protocol.Reason;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Optional;

/**
 * Per-source penalties as the connection code sees them: {@link PenaltyTable} in one process, or a
 * table shared by several servers (the {@code cluster} package). Whichever it is, {@link #refusal}
 * answers from memory, so the accept thread never waits on anything, and {@link #penalize} returns
 * at once.
 *
 * <p>Implementations are thread-safe.
 */
public interface PenaltyStore {
  /**
   * The netblock {@code address} belongs to, e.g. {@code 192.0.2.7/32} or {@code 2001:db8::/64}.
   */
  String source(InetAddress address);

  /** Adds the weight of a failure of {@code reason} to {@code address}'s source. */
  void penalize(InetAddress address, Reason reason);

  /** How long {@code address}'s source is still refused, if it is refused now. */
  Optional<Duration> refusal(InetAddress address);

  /** Sources whose penalty has not yet run out, as of now. */
  int penalizedSources();
}
