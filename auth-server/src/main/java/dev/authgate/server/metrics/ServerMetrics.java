package dev.authgate.server.metrics;

import dev.authgate.protocol.Version;
import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditLog;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The server's Prometheus metrics. Most are counted from the audit events as they are recorded
 * (this is an {@link AuditLog} decorator), so a metric and the audit log can never disagree; the
 * rest are read from the server when scraped. Served over HTTP by {@link #serve} when the operator
 * asks for it ({@code serve --metrics ADDR:PORT}); off by default.
 *
 * <p>Thread-safe: the Prometheus client's metrics are.
 */
public final class ServerMetrics implements AuditLog {
  private final AuditLog audit;
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Counter handshakes =
      counter(
          "authgate_handshakes_total",
          "Handshakes by outcome (accepted, refused) and refusal reason",
          "outcome",
          "reason");
  private final Histogram handshakeSeconds =
      Histogram.builder()
          .name("authgate_handshake_seconds")
          .help("Time from accept to WELCOME of accepted handshakes")
          .classicUpperBounds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)
          .register(registry);
  private final Counter sessionsClosed =
      counter(
          "authgate_sessions_closed_total",
          "Verified sessions ended, by kind (ping, upload, download, chat) and outcome",
          "kind",
          "outcome");
  private final Counter bytesReceived =
      counter(
          "authgate_session_received_bytes_total", "Sealed frame bytes received in ended sessions");
  private final Counter bytesSent =
      counter("authgate_session_sent_bytes_total", "Sealed frame bytes sent in ended sessions");
  private final Counter uploads =
      counter(
          "authgate_uploads_total",
          "Uploads by outcome (stored, failed) and failure reason",
          "outcome",
          "reason");
  private final Counter uploadedBytes =
      counter("authgate_uploaded_bytes_total", "Bytes of files stored");
  private final Counter downloads =
      counter(
          "authgate_downloads_total",
          "Downloads by outcome (sent, skipped as unchanged, failed) and failure reason",
          "outcome",
          "reason");
  private final Counter downloadedBytes =
      counter(
          "authgate_downloaded_bytes_total",
          "Bytes of published files sent (from the resume offset)");
  private final Gauge chatMembers = gauge("authgate_chat_members", "Chat members in a room now");
  private final Counter datagrams =
      counter(
          "authgate_datagrams_total",
          "Datagrams of closed channels: received, or dropped by reason (replayed, too_old,"
              + " forged, rate), or refused",
          "outcome");
  private final Counter selfRotations =
      counter(
          "authgate_key_self_rotations_total",
          "Clients' own key rotations, by outcome (stored, refused)",
          "outcome");
  private final Counter clonesSuspected =
      counter(
          "authgate_clones_suspected_total",
          "Client ids locked because a replaced key was used after its successor");
  private final Gauge clients =
      gauge("authgate_clients", "Clients in the keystore as last loaded (with any key)");
  private final Gauge keys =
      gauge("authgate_keys", "Keys (current and in grace) in the keystore as last loaded");

  /** Registered at the first cluster event: absent from a server without --redis. */
  private Gauge clusterConnected;

  private Counter clusterOutages;
  private boolean jvmMetrics;

  /**
   * Metrics counted from what is recorded to {@code audit}, which every event still reaches.
   *
   * @param verifiedSessions sessions open now, read at scrape time
   * @param penalizedSources sources penalised now, read at scrape time
   * @param lostAuditEvents events the audit log could not write, read at scrape time
   */
  public ServerMetrics(
      AuditLog audit,
      LongSupplier verifiedSessions,
      LongSupplier penalizedSources,
      LongSupplier lostAuditEvents) {
    this.audit = audit;
    gauge("authgate_sessions", "Verified sessions open now", verifiedSessions);
    gauge(
        "authgate_penalized_sources",
        "Sources refused at accept for earlier failures, now",
        penalizedSources);
    gauge(
        "authgate_audit_lost_records",
        "Audit lines that could not be written (disk full, I/O error) since start",
        lostAuditEvents);
    Gauge.builder()
        .name("authgate_build_info")
        .help("Always 1; the labels say what is running: version, git commit and JDK")
        .labelNames("version", "commit", "jdk")
        .register(registry)
        .labelValues(Version.number(), Version.commit(), Version.jdk())
        .set(1);
  }

  /**
   * The cluster's metrics, made at the first cluster event (only a server with --redis has one).
   */
  private synchronized void clusterEvent(boolean connected) {
    if (clusterConnected == null) {
      clusterConnected =
          gauge(
              "authgate_cluster_connected",
              "1 while the shared state (serve --redis) is reachable and in sync; 0 while this"
                  + " server runs on its own tables");
      clusterOutages =
          counter(
              "authgate_cluster_outages_total",
              "Times the shared state (serve --redis) was lost since start");
    }
    clusterConnected.set(connected ? 1 : 0);
    if (!connected) {
      clusterOutages.inc();
    }
  }

  private Counter counter(String name, String help, String... labels) {
    return Counter.builder().name(name).help(help).labelNames(labels).register(registry);
  }

  private Gauge gauge(String name, String help) {
    return Gauge.builder().name(name).help(help).register(registry);
  }

  private void gauge(String name, String help, LongSupplier now) {
    GaugeWithCallback.builder()
        .name(name)
        .help(help)
        .callback(cb -> cb.call(now.getAsLong()))
        .register(registry);
  }

  /**
   * Counts datagrams dropped before any channel's checks (no open channel has their id, or their
   * size is impossible), read from the server at scrape time: junk and strays on the UDP port.
   */
  public void countStrayDatagrams(LongSupplier dropped) {
    io.prometheus.metrics.core.metrics.CounterWithCallback.builder()
        .name("authgate_datagrams_stray_total")
        .help(
            "Datagrams dropped before any channel's checks: unknown channel id or impossible size")
        .callback(cb -> cb.call(dropped.getAsLong()))
        .register(registry);
  }

  @Override
  public void record(AuditEvent event) {
    audit.record(event);
    Map<String, Object> f = event.fields();
    switch (event.type()) {
      case AUTH_ACCEPTED -> {
        handshakes.labelValues("accepted", "").inc();
        if (f.get("handshake_us") instanceof Number us) {
          handshakeSeconds.observe(us.longValue() / 1e6);
        }
      }
      case AUTH_REJECTED ->
          handshakes
              .labelValues("refused", String.valueOf(f.getOrDefault("reason", "-")))
              .inc(f.get("count") instanceof Number n ? n.longValue() : 1);
      case SESSION_CLOSED -> sessionClosed(f);
      case KEYS_SELF_ROTATED -> selfRotations.labelValues("stored").inc();
      case KEYS_SELF_ROTATION_REFUSED -> selfRotations.labelValues("refused").inc();
      case AUTH_CLONE_SUSPECTED -> clonesSuspected.inc();
      case UPLOAD_STORED -> {
        uploads.labelValues("stored", "").inc();
        if (f.get("size") instanceof Number n) {
          uploadedBytes.inc(n.longValue());
        }
      }
      case DATAGRAM_CLOSED -> datagramsClosed(f);
      case CLUSTER_CONNECTED -> clusterEvent(true);
      case CLUSTER_DEGRADED -> clusterEvent(false);
      case KEYS_RELOADED -> {
        if (f.get("clients") instanceof Number n && f.get("keys") instanceof Number k) {
          clients.set(n.longValue());
          keys.set(k.longValue());
        }
      }
      case UPLOAD_FAILED ->
          uploads.labelValues("failed", String.valueOf(f.getOrDefault("reason", "-"))).inc();
      case DOWNLOAD_SENT -> {
        downloads.labelValues("sent", "").inc();
        if (f.get("size") instanceof Number n) {
          long from = f.get("resumed_from") instanceof Number r ? r.longValue() : 0;
          downloadedBytes.inc(n.longValue() - from);
        }
      }
      case DOWNLOAD_SKIPPED -> downloads.labelValues("skipped", "").inc();
      case DOWNLOAD_FAILED ->
          downloads.labelValues("failed", String.valueOf(f.getOrDefault("reason", "-"))).inc();
      case CHAT_JOINED -> chatMembers.inc();
      case CHAT_LEFT -> chatMembers.dec();
      default -> {
        // Only the audit log keeps the rest.
      }
    }
  }

  private void sessionClosed(Map<String, Object> f) {
    sessionsClosed
        .labelValues(
            String.valueOf(f.getOrDefault("kind", "-")),
            String.valueOf(f.getOrDefault("outcome", "-")))
        .inc();
    if (f.get("bytes_in") instanceof Number n) {
      bytesReceived.inc(n.longValue());
    }
    if (f.get("bytes_out") instanceof Number n) {
      bytesSent.inc(n.longValue());
    }
  }

  private void datagramsClosed(Map<String, Object> f) {
    for (String outcome :
        new String[] {
          "received",
          "dropped_replayed",
          "dropped_too_old",
          "dropped_forged",
          "dropped_rate",
          "refused"
        }) {
      if (f.get(outcome) instanceof Number n && n.longValue() > 0) {
        datagrams.labelValues(outcome.replace("dropped_", "")).inc(n.longValue());
      }
    }
  }

  /** The registry, for tests and for serving. */
  public PrometheusRegistry registry() {
    return registry;
  }

  /**
   * Adds the JVM's and the process's own metrics (resident memory, heap in use and after the last
   * collection, threads, GC, descriptors): what an operator sizing a server reads per session, e.g.
   * with {@code auth-client bench sessions --metrics}. Registered once, only in a served registry.
   */
  private synchronized void includeJvmMetrics() {
    if (!jvmMetrics) {
      JvmMetrics.builder().register(registry);
      jvmMetrics = true;
    }
  }

  /**
   * Serves {@code /metrics} on {@code address} until the returned handle is closed.
   *
   * @throws IOException naming the address, if it cannot be bound
   */
  public Served serve(InetSocketAddress address) throws IOException {
    includeJvmMetrics();
    boundTheJdkHttpServer();
    // A virtual thread per exchange: a connection that sends half a request holds its own thread
    // until the request deadline cuts it, never one that a scrape needs.
    java.util.concurrent.ExecutorService exchanges =
        java.util.concurrent.Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("authgate-metrics-", 0).factory());
    try {
      HTTPServer server =
          HTTPServer.builder()
              .inetAddress(address.getAddress())
              .port(address.getPort())
              .registry(registry)
              .executorService(exchanges)
              .buildAndStart();
      return new Served() {
        @Override
        public int port() {
          return server.getPort();
        }

        @Override
        public void close() {
          server.close();
          exchanges.shutdownNow();
        }
      };
    } catch (IOException e) {
      exchanges.shutdownNow();
      throw new IOException("cannot serve metrics on " + address + ": " + e.getMessage(), e);
    }
  }

  /** A running metrics endpoint. */
  public interface Served extends Closeable {
    /** The port it listens on (the real one for port 0). */
    int port();
  }

  /** Seconds a scraper may take to send its request (headers), and to read the answer. */
  static final long REQUEST_SECONDS = 10;

  static final long RESPONSE_SECONDS = 30;

  /** Connections the metrics port holds at most (a scraper needs one or two). */
  static final int MAX_CONNECTIONS = 256;

  /**
   * The JDK's HTTP server (under the Prometheus exporter) reads these once, when its first server
   * starts, and by default has no request deadline and no connection cap: ten half-open connections
   * blocked every scrape for a minute. Set unless the operator set them ({@code
   * -Dsun.net.httpserver.maxReqTime=…}).
   */
  private static void boundTheJdkHttpServer() {
    setIfAbsent("sun.net.httpserver.maxReqTime", Long.toString(REQUEST_SECONDS));
    setIfAbsent("sun.net.httpserver.maxRspTime", Long.toString(RESPONSE_SECONDS));
    setIfAbsent("jdk.httpserver.maxConnections", Integer.toString(MAX_CONNECTIONS));
  }

  private static void setIfAbsent(String property, String value) {
    if (System.getProperty(property) == null) {
      System.setProperty(property, value);
    }
  }
}
