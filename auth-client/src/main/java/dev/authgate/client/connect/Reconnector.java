package dev.authgate.client.connect;

import dev.authgate.protocol.PenalizedException;
import dev.authgate.protocol.ProtocolException;
import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Connects, and on a failure that may pass (the server restarting, the network gone, the server
 * busy) tries again after a {@link Backoff} step, for as long as it takes. A refusal that will not
 * pass by waiting (a wrong, revoked or expired key; a server that cannot prove itself; a session
 * kind this client may not use) is thrown at once: retrying it would only earn penalties.
 *
 * <p>Thread-safe; each {@link #connect()} is independent.
 */
public final class Reconnector {
  /** Hears each failed attempt, before the wait that follows it. */
  @FunctionalInterface
  public interface Listener {
    /**
     * Attempt {@code attempt} (counted from 1) failed with {@code failure}; the next starts after
     * {@code delay}.
     */
    void retrying(int attempt, Exception failure, Duration delay);

    /** A listener that hears nothing. */
    static Listener silent() {
      return (attempt, failure, delay) -> {};
    }
  }

  private final Connector connector;
  private final ServerAddress server;
  private final Backoff backoff;
  private final RandomGenerator random;

  /** Connects to {@code server} with {@code connector}, waiting {@code backoff} between tries. */
  public Reconnector(
      Connector connector, ServerAddress server, Backoff backoff, RandomGenerator random) {
    this.connector = Objects.requireNonNull(connector);
    this.server = Objects.requireNonNull(server);
    this.backoff = Objects.requireNonNull(backoff);
    this.random = Objects.requireNonNull(random);
  }

  /**
   * Whether waiting cannot help: the server refused this client or could not prove itself, or the
   * session is not permitted. Everything else (refused connections, resets, timeouts, a busy or
   * penalising server, an unknown host) may pass.
   */
  public static boolean isPermanent(Exception failure) {
    if (failure instanceof ProtocolException p) {
      return switch (p.reason()) {
        case REFUSED,
            SERVER_NOT_VERIFIED,
            HOST_KEY_NOT_TRUSTED,
            UNSUPPORTED_VERSION,
            REVOKED_KEY,
            EXPIRED_KEY,
            UNKNOWN_CLIENT,
            BAD_PROOF,
            PENDING_APPROVAL,
            CLONE_SUSPECTED,
            NOT_PERMITTED ->
            true;
        default -> false;
      };
    }
    return false;
  }

  /**
   * {@code delay}, or longer if {@code failure} says this address serves a penalty that lasts
   * longer (tried sooner, it would only be refused again): the penalty plus one second, but never
   * more than {@link #LONGEST_PENALTY_WAIT}.
   */
  public static Duration notBeforePenaltyEnds(Exception failure, Duration delay) {
    if (failure instanceof PenalizedException penalized
        && penalized.retryAfter().compareTo(delay) >= 0) {
      Duration wait = penalized.retryAfter().plusSeconds(1);
      return wait.compareTo(LONGEST_PENALTY_WAIT) > 0 ? LONGEST_PENALTY_WAIT : wait;
    }
    return delay;
  }

  /**
   * The longest a reconnecting client waits on a server's word that its address is penalised. The
   * refusal comes before the server has proved itself, so anyone on the path can send one: it must
   * not park a machine for the 18 hours its 16 bits can say. A server's own penalties end within
   * {@code --penalty-max} (10 minutes by default).
   */
  public static final Duration LONGEST_PENALTY_WAIT = Duration.ofMinutes(10);

  /**
   * Connects, retrying until it works.
   *
   * @throws IOException the first permanent failure ({@link #isPermanent})
   * @throws InterruptedException if interrupted while waiting; nothing is left open
   */
  public VerifiedConnection connect(Listener listener) throws IOException, InterruptedException {
    for (int attempt = 1; ; attempt++) {
      try {
        return connector.connect(server);
      } catch (IOException e) {
        if (isPermanent(e)) {
          throw e;
        }
        Duration delay = notBeforePenaltyEnds(e, backoff.delay(attempt, random));
        listener.retrying(attempt, e, delay);
        Thread.sleep(delay);
      }
    }
  }
}
