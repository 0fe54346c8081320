package dev.authgate.server.defence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.authgate.protocol.Reason;
import dev.authgate.server.audit.AuditEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RefusalAuditTest {
  final MutableClock clock = new MutableClock();
  final List<AuditEvent> events = new ArrayList<>();
  final RefusalAudit refusals = new RefusalAudit(events::add, clock, Duration.ofSeconds(10));

  @Test
  void aFloodFromOneSourceBecomesTwoEvents() {
    for (int i = 0; i < 1000; i++) {
      refusals.refused(Reason.PENALIZED, true, "192.0.2.7/32", "192.0.2.7:" + (40000 + i));
    }
    assertThat(events).hasSize(1);
    assertThat(events.get(0).fields())
        .containsEntry("count", 1)
        .containsEntry("reason", "penalized");

    clock.advance(Duration.ofSeconds(10));
    refusals.flush();

    assertThat(events).hasSize(2);
    assertThat(events.get(1).fields())
        .containsEntry("count", 999L)
        .containsEntry("source", "192.0.2.7/32");
  }

  @Test
  void sourcesAreCountedApartButOverloadsTogether() {
    refusals.refused(Reason.PENALIZED, true, "192.0.2.7/32", "192.0.2.7:1");
    refusals.refused(Reason.PENALIZED, true, "192.0.2.8/32", "192.0.2.8:1");
    refusals.refused(Reason.OVERLOADED, false, "192.0.2.9/32", "192.0.2.9:1");
    refusals.refused(Reason.OVERLOADED, false, "192.0.2.10/32", "192.0.2.10:1");

    assertThat(events).hasSize(3);
  }
}
