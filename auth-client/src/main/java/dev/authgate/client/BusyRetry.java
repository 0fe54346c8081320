package dev.authgate.client;

import dev.authgate.client.connect.Backoff;
import dev.authgate.client.connect.Connector;
import dev.authgate.client.connect.ServerAddress;
import dev.authgate.client.connect.VerifiedConnection;
import dev.authgate.protocol.PenalizedException;
import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * How long {@link AuthgateClient#connect} keeps trying a busy server or a penalised address, and
 * who is told when it waits out a penalty (a person should not sit through it in silence).
 *
 * @param limit how long a busy server is tried again
 * @param waiting told each wait for a penalty
 */
record BusyRetry(Duration limit, Consumer<String> waiting) {
  /** The waits between "try later" attempts: a quarter second doubling to two, jittered. */
  private static final Backoff BUSY_BACKOFF =
      new Backoff(Duration.ofMillis(250), Duration.ofSeconds(2));

  BusyRetry {
    Objects.requireNonNull(limit, "busyRetry");
    Objects.requireNonNull(waiting, "waiting");
    if (limit.isNegative()) {
      throw new IllegalArgumentException("busyRetry must not be negative");
    }
  }

  /** One verified connection, as {@link AuthgateClient#connect} describes. */
  VerifiedConnection connect(Connector connector, ServerAddress server) throws IOException {
    long start = System.nanoTime();
    long giveUp = start + limit.toNanos();
    long penaltyGiveUp = start + Math.min(limit.toNanos(), AuthgateClient.PENALTY_WAIT.toNanos());
    SecureRandom jitter = null;
    for (int attempt = 1; ; attempt++) {
      try {
        return connector.connect(server);
      } catch (ProtocolException e) {
        if (e.reason() != Reason.OVERLOADED && !(e instanceof PenalizedException)) {
          throw e;
        }
        if (jitter == null) {
          jitter = new SecureRandom();
        }
        // A penalised address waits out what the server said is left (tried sooner, it is only
        // refused again); a busy server is tried again soon.
        Duration wait =
            e instanceof PenalizedException penalized
                ? penalized.retryAfter().plus(BUSY_BACKOFF.delay(1, jitter))
                : BUSY_BACKOFF.delay(attempt, jitter);
        long until = e instanceof PenalizedException ? penaltyGiveUp : giveUp;
        if (System.nanoTime() + wait.toNanos() - until > 0) {
          throw e;
        }
        if (e instanceof PenalizedException penalized) {
          waiting.accept(
              "too many failed attempts from this address; retrying in "
                  + Math.max(1, penalized.retryAfter().toSeconds())
                  + " s");
        }
        try {
          Thread.sleep(wait);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }
}
