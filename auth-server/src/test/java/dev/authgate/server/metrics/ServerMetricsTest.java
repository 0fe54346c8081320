package dev.authgate.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.authgate.protocol.Version;
import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.audit.AuditLog;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import org.junit.jupiter.api.Test;

/** The metrics counted from audit events, read from the registry as a scrape would. */
class ServerMetricsTest {
  private final ServerMetrics metrics =
      new ServerMetrics(AuditLog.discard(), () -> 0, () -> 0, () -> 0);

  private double value(String name) {
    MetricSnapshots snapshots = metrics.registry().scrape();
    for (MetricSnapshot snapshot : snapshots) {
      if (snapshot.getMetadata().getPrometheusName().equals(name)) {
        if (snapshot instanceof GaugeSnapshot gauge) {
          return gauge.getDataPoints().get(0).getValue();
        }
        if (snapshot instanceof CounterSnapshot counter) {
          return counter.getDataPoints().get(0).getValue();
        }
      }
    }
    throw new AssertionError("no metric " + name);
  }

  private boolean present(String name) {
    for (MetricSnapshot snapshot : metrics.registry().scrape()) {
      if (snapshot.getMetadata().getPrometheusName().equals(name)) {
        return true;
      }
    }
    return false;
  }

  @Test
  void buildInfoSaysWhatIsRunningAndTheKeystoreCountsFollowItsReloads() {
    MetricSnapshot info =
        metrics.registry().scrape().stream()
            .filter(m -> m.getMetadata().getPrometheusName().equals("authgate_build_info"))
            .findFirst()
            .orElseThrow();
    GaugeSnapshot.GaugeDataPointSnapshot point = ((GaugeSnapshot) info).getDataPoints().get(0);
    assertThat(point.getValue()).isEqualTo(1.0);
    assertThat(point.getLabels().get("version")).isEqualTo(Version.number());
    assertThat(point.getLabels().get("commit")).isEqualTo(Version.commit());
    assertThat(point.getLabels().get("jdk"))
        .startsWith(Runtime.version().toString().split("\\+")[0]);

    metrics.record(
        AuditEvent.of(AuditEventType.KEYS_RELOADED)
            .with("ok", true)
            .with("clients", 12)
            .with("keys", 14));
    metrics.record(AuditEvent.of(AuditEventType.KEYS_RELOADED).with("ok", false));

    assertThat(value("authgate_clients")).isEqualTo(12.0);
    assertThat(value("authgate_keys")).isEqualTo(14.0); // a failed reload keeps the last good
  }

  @Test
  void withoutACluster_theClusterMetricsAreAbsent() {
    assertThat(present("authgate_cluster_connected")).isFalse();
    assertThat(present("authgate_cluster_outages")).isFalse();
  }

  @Test
  void theClusterGaugeFollowsTheSharedStatesEventsAndOutagesAreCounted() {
    metrics.record(
        AuditEvent.of(AuditEventType.CLUSTER_CONNECTED).with("redis", "redis://r:6379/0"));
    assertThat(value("authgate_cluster_connected")).isEqualTo(1.0);

    metrics.record(
        AuditEvent.of(AuditEventType.CLUSTER_DEGRADED).with("error", "Connection refused"));
    metrics.record(AuditEvent.of(AuditEventType.CLUSTER_CONNECTED).with("down_ms", 1200));
    metrics.record(AuditEvent.of(AuditEventType.CLUSTER_DEGRADED).with("error", "timeout"));

    assertThat(value("authgate_cluster_connected")).isZero();
    assertThat(value("authgate_cluster_outages")).isEqualTo(2.0);
  }

  @Test
  void strayDatagramsAreReadFromTheServerAtScrapeTime() {
    long[] strays = {3};
    metrics.countStrayDatagrams(() -> strays[0]);
    strays[0] = 42;

    assertThat(value("authgate_datagrams_stray")).isEqualTo(42.0);
  }

  @Test
  void datagramsOfClosedChannelsAreCountedByOutcome() {
    metrics.record(
        AuditEvent.of(AuditEventType.DATAGRAM_CLOSED)
            .with("received", 10L)
            .with("dropped_replayed", 2L)
            .with("dropped_forged", 0L));

    CounterSnapshot counted =
        (CounterSnapshot)
            metrics.registry().scrape().stream()
                .filter(s -> s.getMetadata().getPrometheusName().equals("authgate_datagrams"))
                .findFirst()
                .orElseThrow();
    assertThat(counted.getDataPoints())
        .extracting(p -> p.getLabels().get("outcome") + "=" + (long) p.getValue())
        .containsExactlyInAnyOrder("received=10", "replayed=2");
  }

  @Test
  void clientsOwnRotationsAndSuspectedClonesAreCounted() {
    metrics.record(AuditEvent.of(AuditEventType.KEYS_SELF_ROTATED));
    metrics.record(AuditEvent.of(AuditEventType.KEYS_SELF_ROTATED));
    metrics.record(AuditEvent.of(AuditEventType.AUTH_CLONE_SUSPECTED));

    assertThat(value("authgate_clones_suspected")).isEqualTo(1);
    assertThat(value("authgate_key_self_rotations")).isEqualTo(2);
  }

  @Test
  void proxyHeaderRefusalsAreCountedUnderTheirOwnReason() {
    metrics.record(AuditEvent.of(AuditEventType.AUTH_REJECTED).with("reason", "proxy-header"));

    MetricSnapshots snapshots = metrics.registry().scrape();
    CounterSnapshot handshakes =
        (CounterSnapshot)
            snapshots.stream()
                .filter(s -> s.getMetadata().getPrometheusName().equals("authgate_handshakes"))
                .findFirst()
                .orElseThrow();
    assertThat(handshakes.getDataPoints())
        .anySatisfy(
            p -> {
              assertThat(p.getLabels().get("reason")).isEqualTo("proxy-header");
              assertThat(p.getValue()).isEqualTo(1.0);
            });
  }
}
