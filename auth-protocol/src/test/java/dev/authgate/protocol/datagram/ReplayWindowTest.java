package dev.authgate.protocol.datagram;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.authgate.protocol.datagram.ReplayWindow.Verdict;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ReplayWindowTest {
  private final ReplayWindow window = new ReplayWindow();

  private Verdict accept(long sequence) {
    Verdict verdict = window.check(sequence);
    if (verdict == Verdict.FRESH) {
      window.mark(sequence);
    }
    return verdict;
  }

  @Test
  void eachNumberIsAcceptedOnceInAnyOrderWithinTheWindow() {
    List<Long> order = new ArrayList<>();
    for (long s = 0; s < 5000; s++) {
      order.add(s);
    }
    // Reordered by up to 500 places (shuffled in blocks of 500), as a bad path would.
    Random random = new Random(7);
    for (int block = 0; block < order.size(); block += 500) {
      Collections.shuffle(order.subList(block, Math.min(order.size(), block + 500)), random);
    }
    for (long s : order) {
      assertThat(accept(s)).as("first time %d", s).isEqualTo(Verdict.FRESH);
    }
    for (long s = 5000 - ReplayWindow.WIDTH; s < 5000; s++) {
      assertThat(accept(s)).as("again %d", s).isEqualTo(Verdict.REPEATED);
    }
  }

  @Test
  void aNumberOlderThanTheWindowIsRefusedEvenIfNeverSeen() {
    accept(0);
    accept(5000);

    assertThat(window.check(5000 - ReplayWindow.WIDTH)).isEqualTo(Verdict.TOO_OLD);
    assertThat(window.check(5000 - ReplayWindow.WIDTH + 1)).isEqualTo(Verdict.FRESH);
    assertThat(window.check(-1)).isEqualTo(Verdict.TOO_OLD);
    assertThat(window.highest()).isEqualTo(5000);
  }

  @Test
  void aJumpFurtherThanTheWindowForgetsEverythingBehindIt() {
    for (long s = 0; s < 10; s++) {
      accept(s);
    }
    accept(100_000);

    assertThat(window.check(100_000 - 5)).isEqualTo(Verdict.FRESH);
    assertThat(window.check(100_000)).isEqualTo(Verdict.REPEATED);
    assertThat(window.check(9)).isEqualTo(Verdict.TOO_OLD);
  }

  @Test
  void markingWhatIsNotFreshIsABug() {
    accept(3);
    assertThatThrownBy(() -> window.mark(3)).isInstanceOf(IllegalStateException.class);
  }
}
