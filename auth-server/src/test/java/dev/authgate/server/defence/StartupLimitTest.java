package dev.authgate.server.defence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class StartupLimitTest {
  @Test
  void belowStartEveryConnectionBeginsAndAtFullNone() {
    StartupLimit limit = StartupLimit.parse("3:50:5");
    for (int i = 0; i < 3; i++) {
      assertThat(limit.tryEnter()).isTrue();
    }
    while (limit.inHandshake() < 5) {
      limit.tryEnter();
    }
    for (int i = 0; i < 100; i++) {
      assertThat(limit.tryEnter()).isFalse();
    }
    limit.leave();
    assertThat(limit.inHandshake()).isEqualTo(4);
  }

  @Test
  void fromStartOnConnectionsAreDroppedAtTheConfiguredRate() {
    StartupLimit limit = StartupLimit.parse("1:50:1000");
    assertThat(limit.tryEnter()).isTrue();
    int admitted = 0;
    for (int i = 0; i < 400; i++) {
      if (limit.tryEnter()) {
        admitted++;
        limit.leave();
      }
    }
    // At one handshake in progress the drop chance is 50%: far from 0 and from 400.
    assertThat(admitted).isBetween(120, 280);
  }

  @Test
  void aSingleNumberMeansAHardCap() {
    StartupLimit limit = StartupLimit.parse("2");
    assertThat(limit.tryEnter()).isTrue();
    assertThat(limit.tryEnter()).isTrue();
    assertThat(limit.tryEnter()).isFalse();
  }

  @Test
  void malformedSettingsAreRefused() {
    assertThatThrownBy(() -> StartupLimit.parse("10:30")).hasMessageContaining("start:rate:full");
    assertThatThrownBy(() -> StartupLimit.parse("10:130:100")).hasMessageContaining("rate 0-100");
    assertThatThrownBy(() -> StartupLimit.parse("10:30:5")).hasMessageContaining("start <= full");
  }
}
