package dev.authgate.server;

import dev.authgate.protocol.keyfile.KeyFileException;
import dev.authgate.protocol.text.IoErrors;
import dev.authgate.server.admin.AdminFeed;
import dev.authgate.server.admin.AdminServer;
import dev.authgate.server.audit.AuditFile;
import dev.authgate.server.audit.AuditLog;
import dev.authgate.server.audit.ConnectionLog;
import dev.authgate.server.audit.JsonLinesAuditLog;
import dev.authgate.server.audit.SyslogForwarder;
import dev.authgate.server.cluster.RedisCluster;
import dev.authgate.server.connection.AuthServer;
import dev.authgate.server.connection.SharedState;
import dev.authgate.server.hooks.UploadHooks;
import dev.authgate.server.keystore.HostKeys;
import dev.authgate.server.keystore.KeystoreDirectory;
import dev.authgate.server.keystore.KeystoreSnapshot;
import dev.authgate.server.keystore.KeystoreWatcher;
import dev.authgate.server.keystore.LiveHostKeys;
import dev.authgate.server.keystore.LiveKeystore;
import dev.authgate.server.metrics.ServerMetrics;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@link AuthgateServer.Builder#start()} builds, in order: the keystore, the host keys, the
 * audit chain, the cluster link, the listener, the metrics endpoint; undone newest first if a step
 * fails. Its fields are what the running {@link AuthgateServer} holds.
 */
final class ServerAssembly {
  /** What {@code serve} names its lifecycle messages. */
  private static final Logger LOG = LoggerFactory.getLogger("serve");

  private final AuthgateServer.Builder b;
  KeystoreDirectory keystore;
  KeystoreSnapshot loaded;
  LiveHostKeys hostKeys;
  LiveKeystore live;
  AuditFile auditFile;
  SyslogForwarder syslog;
  AuditLog audit;

  /** The whole chain (metrics, connection log, hooks): what the server's own events go through. */
  AuditLog events;

  UploadHooks hooks;
  RedisCluster cluster;
  AuthServer server;
  Closeable metricsEndpoint;
  AdminServer adminEndpoint;

  ServerAssembly(AuthgateServer.Builder b) {
    this.b = b;
  }

  AuthgateServer start() throws IOException {
    keystore = new KeystoreDirectory(b.keys, b.clock, b.random);
    loaded = keystore.load();
    hostKeys = hostKeys();
    loaded.skipped().forEach(s -> b.skipped.accept(s.problem()));
    live = new LiveKeystore(loaded, b.clock, keystore);
    live.rotateEveryByDefault(b.rotateEvery);
    live.rotateDeadline(b.rotateDeadline);
    auditFile =
        b.auditTo != null ? b.auditTo : JsonLinesAuditLog.open(b.auditLog, b.clock, b.rotation);
    try {
      audit = forwardedAndTagged();
      AtomicReference<AuthServer> running = new AtomicReference<>();
      ServerMetrics counted =
          new ServerMetrics(
              audit,
              () -> running.get() == null ? 0 : running.get().verifiedSessions(),
              () -> running.get() == null ? 0 : running.get().penalizedSources(),
              auditFile::lostEvents);
      AdminFeed feed = new AdminFeed(new ConnectionLog(counted), b.clock);
      AuditLog sink = feed;
      events = sink;
      if (b.hooks != null && b.hooks.any()) {
        hooks = new UploadHooks(sink, b.hooks, b.config.uploads().root(), b.clock);
        sink = hooks;
        events = sink;
      }
      if (b.redis != null) {
        cluster = RedisCluster.start(b.redis, b.config.serverId(), sink, b.clock);
      }
      server =
          AuthServer.start(
              b.config,
              b.lookup.apply(live),
              hostKeys,
              sink,
              b.clock,
              b.random,
              cluster == null ? SharedState.inProcess() : cluster);
      running.set(server);
      counted.countStrayDatagrams(server::datagramDrops);
      if (b.metrics != null) {
        metricsEndpoint = counted.serve(b.metrics);
      }
      if (b.admin != null) {
        adminEndpoint = startAdmin(feed, sink);
      }
    } catch (IOException | RuntimeException e) {
      undo();
      throw e;
    }
    AuthgateServer started = new AuthgateServer(this);
    // Through the whole chain: the metrics' authgate_clients and authgate_keys come from it.
    KeystoreWatcher.record(events, b.keys, loaded);
    if (b.watchInterval != null) {
      started.watchKeystore(b.watchInterval);
    }
    return started;
  }

  /** The admin API over this server's keystore, listener and audit chain ({@code sink}). */
  private AdminServer startAdmin(AdminFeed feed, AuditLog sink) throws IOException {
    AuthServer listening = server;
    return AdminServer.start(
        b.admin,
        b.adminTls,
        new AdminServer.Backing(
            keystore,
            live::snapshot,
            clientId -> {
              live.refresh(clientId);
              listening.revalidateSessions();
            },
            listening::liveSessions,
            listening::closeSession,
            feed,
            sink,
            b.auditTo == null ? b.auditLog : null,
            b.config.defences().penalties(),
            listening::penalizedSources,
            b.clock,
            listening::accepting));
  }

  /**
   * The audit file, forwarded to syslog when asked, and tagged with the server's id when it is one
   * of several (so their logs can be read together).
   */
  private AuditLog forwardedAndTagged() {
    syslog =
        b.syslogTarget == null
            ? null
            : new SyslogForwarder(
                auditFile, b.syslogTarget, b.config.serverId(), b.syslogQueue, b.clock);
    AuditLog forwarded = syslog == null ? auditFile : syslog;
    return b.redis == null ? forwarded : forwarded.taggedWith(b.config.serverId());
  }

  /**
   * The server's host keys: read (from the systemd credentials or {@code KEYS/host.key} and {@code
   * KEYS/host-next.key}) or the host key made if there is none. Every HELLO is signed with it, so a
   * server that has none and cannot make one (a keystore mounted read-only) does not start.
   */
  private LiveHostKeys hostKeys() throws IOException {
    HostKeys source = new HostKeys(b.keys, b.environment, b.clock, b.random);
    try {
      HostKeys.Loaded made = source.loadOrCreate();
      if (made.created()) {
        LOG.info("made the host key {} ({})", made.from(), made.fingerprint());
      }
    } catch (KeyFileException e) {
      throw e; // a key that exists but cannot be used: fix it before serving
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "no host key, and none can be made ("
              + IoErrors.describe(e)
              + "); make one with: auth-server keys init --keys "
              + b.keys,
          e);
    }
    return LiveHostKeys.load(source);
  }

  /** Stops what started, newest first: the metrics address was taken, say; never half-start. */
  private void undo() {
    if (adminEndpoint != null) {
      adminEndpoint.close();
    }
    if (metricsEndpoint != null) {
      try {
        metricsEndpoint.close();
      } catch (IOException ignored) {
        // The failure that made us stop is the one to report.
      }
    }
    if (server != null) {
      server.close(Duration.ZERO);
    }
    if (hooks != null) {
      hooks.close(Duration.ZERO);
    }
    if (cluster != null) {
      cluster.close();
    }
    if (syslog != null) {
      syslog.close(Duration.ZERO);
    }
    try {
      auditFile.close();
    } catch (IOException ignored) {
      // The failure that made us stop is the one to report.
    }
  }
}
