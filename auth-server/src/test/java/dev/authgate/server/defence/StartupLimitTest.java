package dev.authgate.server.defence;

import static dev.authgate.server.defence.StartupLimit.Admission.ADMITTED;
import static dev.authgate.server.defence.StartupLimit.Admission.FULL;
import static dev.authgate.server.defence.StartupLimit.Admission.SOURCE_FULL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class StartupLimitTest {
  private static final String A = "10.0.0.1";

  @Test
  void belowStartEveryConnectionBeginsAndAtFullNone() {
    StartupLimit limit = StartupLimit.parse("3:50:5");
    for (int i = 0; i < 3; i++) {
      assertThat(limit.tryEnter(A)).isEqualTo(ADMITTED);
    }
    while (limit.inHandshake() < 5) {
      limit.tryEnter(A);
    }
    for (int i = 0; i < 100; i++) {
      assertThat(limit.tryEnter(A)).isEqualTo(FULL);
    }
    limit.leave(A);
    assertThat(limit.inHandshake()).isEqualTo(4);
  }

  @Test
  void fromStartOnConnectionsAreDroppedAtTheConfiguredRate() {
    StartupLimit limit = StartupLimit.parse("1:50:1000");
    assertThat(limit.tryEnter(A)).isEqualTo(ADMITTED);
    int admitted = 0;
    for (int i = 0; i < 400; i++) {
      if (limit.tryEnter(A) == ADMITTED) {
        admitted++;
        limit.leave(A);
      }
    }
    // At one handshake in progress the drop chance is 50%: far from 0 and from 400.
    assertThat(admitted).isBetween(120, 280);
  }

  @Test
  void aSingleNumberMeansAHardCap() {
    StartupLimit limit = StartupLimit.parse("2");
    assertThat(limit.tryEnter(A)).isEqualTo(ADMITTED);
    assertThat(limit.tryEnter("10.0.0.2")).isEqualTo(ADMITTED);
    assertThat(limit.tryEnter("10.0.0.3")).isEqualTo(FULL);
  }

  @Test
  void oneSourceOverItsCapIsRefusedWhileOthersStillBegin() {
    StartupLimit limit = StartupLimit.parse("10:30:100", 3);
    for (int i = 0; i < 3; i++) {
      assertThat(limit.tryEnter(A)).isEqualTo(ADMITTED);
    }
    for (int i = 0; i < 50; i++) {
      assertThat(limit.tryEnter(A)).isEqualTo(SOURCE_FULL);
    }
    assertThat(limit.inHandshake()).isEqualTo(3);
    assertThat(limit.tryEnter("10.0.0.2")).isEqualTo(ADMITTED);
    limit.leave(A);
    assertThat(limit.tryEnter(A)).isEqualTo(ADMITTED);
  }

  @Test
  void aSourceThatFinishesItsHandshakesIsForgotten() {
    StartupLimit limit = StartupLimit.parse("10:30:100", 3);
    limit.tryEnter(A);
    limit.tryEnter(A);
    limit.leave(A);
    limit.leave(A);
    assertThat(limit.sourcesInHandshake()).isZero();
    assertThat(limit.inHandshake()).isZero();
  }

  @Test
  void aConnectionDroppedByTheGlobalCapDoesNotCountAgainstItsSource() {
    StartupLimit limit = StartupLimit.parse("1", 5);
    assertThat(limit.tryEnter("10.0.0.9")).isEqualTo(ADMITTED);
    for (int i = 0; i < 10; i++) {
      assertThat(limit.tryEnter(A)).isEqualTo(FULL);
    }
    limit.leave("10.0.0.9");
    assertThat(limit.tryEnter(A)).isEqualTo(ADMITTED);
  }

  @Test
  void malformedSettingsAreRefused() {
    assertThatThrownBy(() -> StartupLimit.parse("10:30")).hasMessageContaining("start:rate:full");
    assertThatThrownBy(() -> StartupLimit.parse("10:130:100")).hasMessageContaining("rate 0-100");
    assertThatThrownBy(() -> StartupLimit.parse("10:30:5")).hasMessageContaining("start <= full");
    assertThatThrownBy(() -> StartupLimit.parse("10:30:100", 0))
        .hasMessageContaining("per-source-max-startups");
  }
}
