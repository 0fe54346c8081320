package dev.authgate.client.connect;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * How long to wait before each new attempt: exponential, doubling from {@code first} up to {@code
 * max}, with "equal jitter" (half the step fixed, half random) so a fleet that lost its server at
 * the same moment does not come back at the same moment.
 *
 * @param first the step before the first retry
 * @param max the largest step
 */
public record Backoff(Duration first, Duration max) {
  /** Half a second, doubling up to one minute: what the CLI uses. */
  public static final Backoff DEFAULT = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(60));

  /** Checks that the steps are positive and in order. */
  public Backoff {
    if (first.isNegative() || first.isZero()) {
      throw new IllegalArgumentException("the first backoff step must be positive");
    }
    if (max.compareTo(first) < 0) {
      throw new IllegalArgumentException("the largest backoff step must not be below the first");
    }
  }

  /**
   * The wait before attempt number {@code retry} (1 for the first retry): between half and all of
   * {@code min(max, first × 2^(retry-1))}.
   */
  public Duration delay(int retry, RandomGenerator random) {
    long maxMillis = Math.max(1, max.toMillis());
    long step = Math.min(maxMillis, Math.max(1, first.toMillis()));
    for (int i = 1; i < retry && step < maxMillis; i++) {
      step = Math.min(maxMillis, step * 2);
    }
    long half = step / 2;
    return Duration.ofMillis(half + random.nextLong(step - half + 1));
  }
}
