package dev.authgate.server;

import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.handshake.VerifierLookup;
import dev.authgate.server.admin.AdminServer;
import dev.authgate.server.admin.AdminTls;
import dev.authgate.server.audit.AuditFile;
import dev.authgate.server.audit.AuditLog;
import dev.authgate.server.audit.AuditRotation;
import dev.authgate.server.audit.SyslogForwarder;
import dev.authgate.server.cluster.RedisCluster;
import dev.authgate.server.cluster.RedisTarget;
import dev.authgate.server.connection.AuthServer;
import dev.authgate.server.connection.ServerConfig;
import dev.authgate.server.hooks.UploadHooks;
import dev.authgate.server.keystore.KeystoreDirectory;
import dev.authgate.server.keystore.KeystoreSnapshot;
import dev.authgate.server.keystore.KeystoreWatcher;
import dev.authgate.server.keystore.LiveHostKeys;
import dev.authgate.server.keystore.LiveKeystore;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * The whole server, built one way: the keystore and its watcher, the host keys, the audit chain
 * (file or stdout, syslog, the server id, metrics, the connection log, upload hooks), the shared
 * state of a cluster, the metrics endpoint, and the order they stop in. {@code auth-server serve}
 * maps its options onto a {@link Builder}; tests and benchmarks build their servers with it too, so
 * they run the stack production runs.
 *
 * <pre>{@code
 * try (AuthgateServer server =
 *     AuthgateServer.builder(ServerConfig.loopback(7350, uploads), Path.of("keys"))
 *         .auditLog(Path.of("logs/audit.jsonl"))
 *         .start()) {
 *   ...
 * }
 * }</pre>
 *
 * <p>Thread-safe. {@link #close(Duration)} is idempotent.
 */
public final class AuthgateServer implements Closeable {
  /** How long upload hooks of the last uploads may run at a stop. */
  private static final Duration HOOKS_GRACE = Duration.ofSeconds(5);

  /** How long the syslog forwarder may take to send what is queued at a stop. */
  private static final Duration SYSLOG_GRACE = Duration.ofSeconds(2);

  private final AuthServer server;
  private final KeystoreDirectory keystore;
  private final LiveKeystore live;
  private final LiveHostKeys hostKeys;
  private final KeystoreSnapshot loaded;
  private final AuditFile auditFile;
  private final AuditLog audit;

  /** The whole audit chain (metrics, connection log, hooks), for the keystore watcher's events. */
  private final AuditLog events;

  private final SyslogForwarder syslog;
  private final RedisCluster cluster;
  private final UploadHooks hooks;
  private final Closeable metricsEndpoint;
  private final AdminServer adminEndpoint;
  private final AtomicReference<KeystoreWatcher> watcher = new AtomicReference<>();
  private final AtomicBoolean closed = new AtomicBoolean();

  AuthgateServer(ServerAssembly s) {
    this.server = s.server;
    this.keystore = s.keystore;
    this.live = s.live;
    this.hostKeys = s.hostKeys;
    this.loaded = s.loaded;
    this.auditFile = s.auditFile;
    this.audit = s.audit;
    this.events = s.events;
    this.syslog = s.syslog;
    this.cluster = s.cluster;
    this.hooks = s.hooks;
    this.metricsEndpoint = s.metricsEndpoint;
    this.adminEndpoint = s.adminEndpoint;
  }

  /** A server with {@code config} whose keystore is the directory {@code keys}. */
  public static Builder builder(ServerConfig config, Path keys) {
    return new Builder(config, keys);
  }

  /** How a server is put together; {@link #start()} builds and starts it. Not thread-safe. */
  public static final class Builder {
    final ServerConfig config;
    final Path keys;
    Clock clock = Clock.systemUTC();
    RandomSource random = RandomSource.secure();
    Map<String, String> environment = System.getenv();
    Path auditLog;
    AuditRotation rotation = AuditRotation.defaults();
    AuditFile auditTo;
    SyslogForwarder.Target syslogTarget;
    int syslogQueue;
    RedisTarget redis;
    UploadHooks.Config hooks;
    InetSocketAddress metrics;
    InetSocketAddress admin;
    AdminTls adminTls;
    Duration watchInterval;
    Duration rotateEvery;
    Duration rotateDeadline;
    UnaryOperator<VerifierLookup> lookup = UnaryOperator.identity();
    Consumer<String> skipped = problem -> {};

    private Builder(ServerConfig config, Path keys) {
      this.config = Objects.requireNonNull(config, "config");
      this.keys = Objects.requireNonNull(keys, "keys");
    }

    /** The clock of the audit log, key expiry and penalties (default: UTC system clock). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock);
      return this;
    }

    /** Where challenges, nonces and keys come from (default: the platform's strong source). */
    public Builder random(RandomSource random) {
      this.random = Objects.requireNonNull(random);
      return this;
    }

    /**
     * The environment the host keys may come from as systemd credentials ({@code
     * CREDENTIALS_DIRECTORY}); default: the process's.
     */
    public Builder environment(Map<String, String> environment) {
      this.environment = Map.copyOf(environment);
      return this;
    }

    /** Writes the audit log as JSON lines to {@code file}, rotated as {@code rotation} says. */
    public Builder auditLog(Path file, AuditRotation rotation) {
      this.auditLog = Objects.requireNonNull(file);
      this.rotation = Objects.requireNonNull(rotation);
      this.auditTo = null;
      return this;
    }

    /**
     * Writes the audit log as JSON lines to {@code file}, rotated as {@code serve} rotates by
     * default.
     */
    public Builder auditLog(Path file) {
      return auditLog(file, AuditRotation.defaults());
    }

    /** Writes the audit log to {@code sink} (e.g. stdout), which the server closes at its end. */
    public Builder auditTo(AuditFile sink) {
      this.auditTo = Objects.requireNonNull(sink);
      this.auditLog = null;
      return this;
    }

    /** Forwards every audit event to a syslog receiver too, queueing up to {@code queue}. */
    public Builder syslog(SyslogForwarder.Target target, int queue) {
      if (queue < 1) {
        throw new IllegalArgumentException("the syslog queue must hold at least one event");
      }
      this.syslogTarget = Objects.requireNonNull(target);
      this.syslogQueue = queue;
      return this;
    }

    /** Shares penalties, session counts and chat with the other servers on {@code redis}. */
    public Builder redis(RedisTarget redis) {
      this.redis = redis;
      return this;
    }

    /** Runs {@code --on-upload} / {@code --on-upload-url} hooks after each stored file. */
    public Builder hooks(UploadHooks.Config hooks) {
      this.hooks = hooks;
      return this;
    }

    /** Serves Prometheus metrics at {@code http://address/metrics}. */
    public Builder metrics(InetSocketAddress address) {
      this.metrics = address;
      return this;
    }

    /**
     * Serves the admin API at {@code http://address/api/} (docs/OPERATIONS.md, "Admin API and
     * console"); default (null): not.
     */
    public Builder admin(InetSocketAddress address) {
      this.admin = address;
      return this;
    }

    /** Serves the admin API over HTTPS with {@code tls}; default (null): plain HTTP. */
    public Builder adminTls(AdminTls tls) {
      this.adminTls = tls;
      return this;
    }

    /** Watches the keystore directory for changes every {@code interval} (default: not). */
    public Builder watchKeystore(Duration interval) {
      this.watchInterval = interval;
      return this;
    }

    /**
     * Asks every client without a {@code rotate-every} of its own to rotate its key this often
     * (docs/PROTOCOL.md §5.7); default (null): none is asked.
     */
    public Builder rotateEvery(Duration every) {
      this.rotateEvery = every;
      return this;
    }

    /**
     * Refuses a key (as expired) once it has been due for rotation this long: a machine that cannot
     * save a new key keeps working until then, and is told when (docs/PROTOCOL.md §5.7); default
     * (null): never.
     */
    public Builder rotateDeadline(Duration deadline) {
      this.rotateDeadline = deadline;
      return this;
    }

    /** Told each keystore file that is skipped at the start, in words; default: nothing. */
    public Builder onSkippedKeyFile(Consumer<String> problem) {
      this.skipped = Objects.requireNonNull(problem);
      return this;
    }

    /**
     * Wraps the live keystore the handshakes and revalidation look keys up in (tests act in the
     * middle of a lookup with it).
     */
    public Builder wrapLookup(UnaryOperator<VerifierLookup> lookup) {
      this.lookup = Objects.requireNonNull(lookup);
      return this;
    }

    /**
     * Loads the keystore and the host keys (making the host key if there is none), opens the audit
     * log, binds and starts accepting. Whatever started is stopped again if a later part fails.
     *
     * @throws IllegalArgumentException if there is no host key and none can be made
     * @throws IOException if the keystore, the audit log or an address cannot be used
     */
    public AuthgateServer start() throws IOException {
      if (auditTo == null && auditLog == null) {
        throw new IllegalStateException("the audit log must go somewhere: auditLog or auditTo");
      }
      return new ServerAssembly(this).start();
    }
  }

  /**
   * Starts watching the keystore directory (and the host keys) every {@code interval}, as {@code
   * serve} does; a second call changes nothing.
   */
  public synchronized AuthgateServer watchKeystore(Duration interval) {
    if (closed.get()) {
      return this; // a stopped server watches nothing
    }
    KeystoreWatcher made = new KeystoreWatcher(keystore, live, events, server::revalidateSessions);
    if (watcher.compareAndSet(null, made)) {
      made.alsoRefresh(hostKeys);
      made.start(interval);
    }
    return this;
  }

  /** The bound TCP address. */
  public InetSocketAddress address() {
    return server.address();
  }

  /** The running listener and its sessions. */
  public AuthServer connections() {
    return server;
  }

  /** The keystore directory. */
  public KeystoreDirectory keystore() {
    return keystore;
  }

  /** The keystore as the server holds it now. */
  public LiveKeystore liveKeystore() {
    return live;
  }

  /** The keystore as it was loaded at the start. */
  public KeystoreSnapshot loadedAtStart() {
    return loaded;
  }

  /** The host keys, reread by the watcher. */
  public LiveHostKeys hostKeys() {
    return hostKeys;
  }

  /** The audit log before metrics and hooks (file or stdout, syslog, the server id). */
  public AuditLog audit() {
    return audit;
  }

  /** The link to the cluster's Redis, or null for a server on its own. */
  public RedisCluster cluster() {
    return cluster;
  }

  /** The admin API's address, or null if it is not served. */
  public InetSocketAddress adminAddress() {
    return adminEndpoint == null ? null : adminEndpoint.address();
  }

  /** Whether the metrics endpoint is being served. */
  public boolean servesMetrics() {
    return metricsEndpoint != null;
  }

  /** Stops at once: {@link #close(Duration)} with no grace for sessions. */
  @Override
  public void close() {
    close(Duration.ZERO);
  }

  /**
   * Stops in order: the keystore watcher, the listener and its sessions (given {@code grace} to
   * finish; {@code server.stopped} is audited; the admin API says "stopping" at {@code /readyz}
   * meanwhile), the admin API, the hooks of the last uploads, the cluster link, the syslog
   * forwarder (what is queued still reaches the receiver), the metrics endpoint, and last the audit
   * log. Idempotent.
   */
  public void close(Duration grace) {
    KeystoreWatcher watching;
    synchronized (this) { // no watcher starts after this point (watchKeystore checks closed)
      if (!closed.compareAndSet(false, true)) {
        return;
      }
      watching = watcher.get();
    }
    if (watching != null) {
      watching.close();
    }
    server.close(grace);
    if (adminEndpoint != null) {
      adminEndpoint.close();
    }
    if (hooks != null) {
      hooks.close(HOOKS_GRACE);
    }
    if (cluster != null) {
      cluster.close();
    }
    if (syslog != null) {
      syslog.close(SYSLOG_GRACE);
    }
    if (metricsEndpoint != null) {
      try {
        metricsEndpoint.close();
      } catch (IOException ignored) {
        // Stopping anyway.
      }
    }
    try {
      auditFile.close();
    } catch (IOException ignored) {
      // Nothing more can be recorded at this point.
    }
  }
}
