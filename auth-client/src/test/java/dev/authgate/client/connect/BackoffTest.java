package dev.authgate.client.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.authgate.protocol.PenalizedException;
import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import java.io.EOFException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Backoff steps double up to the cap with jitter; only waitable failures are retried. */
class BackoffTest {
  private final Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5));

  @Test
  void aPenaltyIsWaitedOutButNeverLongerThanTenMinutes() {
    Duration step = Duration.ofSeconds(2);
    assertThat(
            Reconnector.notBeforePenaltyEnds(new PenalizedException(Duration.ofSeconds(30)), step))
        .isEqualTo(Duration.ofSeconds(31));
    // A refusal anyone on the path could send must not park a machine for 18 hours.
    assertThat(
            Reconnector.notBeforePenaltyEnds(
                new PenalizedException(Duration.ofSeconds(65_535)), step))
        .isEqualTo(Reconnector.LONGEST_PENALTY_WAIT);
    assertThat(Reconnector.notBeforePenaltyEnds(new java.io.IOException("reset"), step))
        .isEqualTo(step);
  }

  @Test
  void eachStepLiesBetweenHalfAndAllOfTheDoubledStepCappedAtTheMaximum() {
    Random random = new Random(7);
    long[] steps = {100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000};
    for (int retry = 1; retry <= steps.length; retry++) {
      for (int i = 0; i < 200; i++) {
        long delay = backoff.delay(retry, random).toMillis();
        assertThat(delay).as("retry %d", retry).isBetween(steps[retry - 1] / 2, steps[retry - 1]);
      }
    }
    assertThat(backoff.delay(Integer.MAX_VALUE, random)).isLessThanOrEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void aFleetThatFailedTogetherDoesNotRetryTogether() {
    Random random = new Random(11);
    Set<Long> delays = new HashSet<>();
    for (int machine = 0; machine < 50; machine++) {
      delays.add(backoff.delay(6, random).toMillis());
    }
    assertThat(delays).hasSizeGreaterThan(40);
  }

  @Test
  void stepsMustBePositiveAndInOrder() {
    assertThatThrownBy(() -> new Backoff(Duration.ZERO, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void refusalsThatWaitingCannotFixAreNotRetried() {
    for (Reason reason :
        new Reason[] {
          Reason.REFUSED, Reason.REVOKED_KEY, Reason.SERVER_NOT_VERIFIED, Reason.NOT_PERMITTED
        }) {
      assertThat(Reconnector.isPermanent(new ProtocolException(reason, "x")))
          .as("%s", reason)
          .isTrue();
    }
    for (Exception passing :
        new Exception[] {
          new ProtocolException(Reason.OVERLOADED, "busy"),
          new ProtocolException(Reason.CONNECTION_LOST, "cut"),
          new ConnectException("refused"),
          new SocketTimeoutException("slow"),
          new EOFException(),
          new UnknownHostException("gate.example")
        }) {
      assertThat(Reconnector.isPermanent(passing)).as("%s", passing).isFalse();
    }
  }
}
