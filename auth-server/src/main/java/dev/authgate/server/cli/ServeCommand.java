package dev.authgate.server.cli;

import dev.authgate.protocol.ExitCode;
import dev.authgate.protocol.Version;
import dev.authgate.protocol.crypto.CryptoWarmup;
import dev.authgate.server.AuthgateServer;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.audit.StdoutAuditLog;
import dev.authgate.server.audit.SyslogForwarder;
import dev.authgate.server.chat.ChatLimits;
import dev.authgate.server.cli.convert.DurationConverter;
import dev.authgate.server.cli.convert.LogFormatConverter;
import dev.authgate.server.cli.help.ServerExitStatus;
import dev.authgate.server.cluster.RedisTarget;
import dev.authgate.server.connection.ServerConfig;
import dev.authgate.server.hooks.UploadHooks;
import dev.authgate.server.keystore.KeystoreSnapshot;
import dev.authgate.server.log.LogFormat;
import dev.authgate.server.net.Addresses;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code auth-server serve}: run the server until SIGTERM or SIGINT. */
@Command(
    name = "serve",
    abbreviateSynopsis = true,
    footerHeading = "%nExamples%n",
    footer = {
      "  auth-server serve                                   (127.0.0.1:7350, ./keys, ./logs/audit.jsonl)",
      "  auth-server serve --config /etc/authgate/authgate.properties",
      "  auth-server serve -t --config /etc/authgate/authgate.properties   (check, then exit)",
      "  auth-server serve -T --port 7443 | less             (the settings a start would use)"
    },
    mixinStandardHelpOptions = true,
    description = "Accept connections, verify machines, audit every refusal.")
final class ServeCommand implements Callable<Integer> {
  @Mixin ServerExitStatus exitStatus;

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger("serve");

  private static final Duration WATCH_INTERVAL = Duration.ofMillis(500);

  @Spec CommandSpec spec;

  @Option(
      names = "--bind",
      paramLabel = "ADDR",
      defaultValue = "127.0.0.1",
      description = "Address to listen on; :: for all IPv6 and IPv4 (default: ${DEFAULT-VALUE}).")
  String bind;

  @Option(
      names = "--port",
      paramLabel = "N",
      defaultValue = "" + ServerConfig.DEFAULT_PORT,
      description = "TCP port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--keys",
      paramLabel = "DIR",
      defaultValue = "keys",
      description = "Keystore directory (default: ${DEFAULT-VALUE}).")
  Path keys;

  @Option(
      names = "--audit-log",
      paramLabel = "FILE",
      defaultValue = "logs/audit.jsonl",
      description =
          "Audit log, JSON Lines, appended; - for stdout (journald; then 'listening on' goes to"
              + " stderr) (default: ${DEFAULT-VALUE}).")
  Path auditLog;

  @Mixin SyslogOptions syslogOptions;

  @Mixin DatagramOptions datagramOptions;

  @Mixin ClusterOptions clusterOptions;

  @Mixin UploadOptions uploadOptions;

  @Mixin DefenceOptions defenceOptions;

  @Mixin AuditRotationOptions auditRotation;

  @Mixin SessionOptions sessionOptions;

  @Mixin HookOptions hookOptions;

  @Mixin RotationOptions rotation;

  @Mixin MetricsOption metricsOption;

  @Mixin AdminOption adminOption;

  @Option(
      names = "--handshake-timeout",
      paramLabel = "DURATION",
      defaultValue = "10s",
      converter = DurationConverter.class,
      description = "Total time allowed for a handshake (default: ${DEFAULT-VALUE}).")
  Duration handshakeTimeout;

  @Option(
      names = "--idle-timeout",
      paramLabel = "DURATION",
      defaultValue = "5m",
      converter = DurationConverter.class,
      description = "Close a verified session silent this long (default: ${DEFAULT-VALUE}).")
  Duration idleTimeout;

  @Option(
      names = "--server-id",
      paramLabel = "NAME",
      description = "Name shown to verified clients (default: this host's name).")
  String serverId;

  @Option(
      names = "--shutdown-grace",
      paramLabel = "DURATION",
      defaultValue = "30s",
      converter = DurationConverter.class,
      description =
          "On SIGTERM, how long uploads in progress may finish before they are cut (they stay"
              + " resumable) (default: ${DEFAULT-VALUE}).")
  Duration shutdownGrace;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description =
          "Properties file of option defaults (port=7350, handshake-timeout=10s, ...);"
              + " AUTHGATE_* environment variables override it, the command line overrides both.")
  Path config;

  @Option(
      names = "--chat-history",
      paramLabel = "N",
      defaultValue = "20",
      description = "Messages replayed to a member who joins a room (default: ${DEFAULT-VALUE}).")
  int chatHistory;

  @Option(
      names = "--chat-queue",
      paramLabel = "N",
      defaultValue = "256",
      description =
          "Messages that may wait for one chat member; a member that falls further behind is"
              + " dropped (default: ${DEFAULT-VALUE}).")
  int chatQueue;

  @Option(
      names = "--log-format",
      paramLabel = "text|json",
      defaultValue = "text",
      converter = LogFormatConverter.class,
      completionCandidates = LogFormatConverter.class,
      description =
          "The operational log on stderr: readable lines, or one JSON object per line (ts, level, "
              + "logger, msg and the event's fields) for log shippers (default: ${DEFAULT-VALUE}). "
              + "The audit log is JSON lines either way.")
  LogFormat logFormat;

  @Option(names = "--verbose", description = "Show stack traces on errors.")
  boolean verbose;

  @Option(
      names = {"-t", "--check"},
      description =
          "Check the configuration, the keystore and host key, and that the audit log and uploads"
              + " can be written; print what a start would use or what is wrong, and exit (0: a"
              + " start would get past them) without listening, like sshd -t.")
  boolean check;

  @Option(
      names = {"-T", "--print-config"},
      description =
          "After --check's checks, print every setting with the value a start would use (command"
              + " line, AUTHGATE_* variables, --config, defaults) as a properties file, and exit.")
  boolean printConfig;

  @Override
  public Integer call() throws IOException, InterruptedException {
    rejectUnknownSettings();
    logFormat.apply();
    UploadHooks.Config hookConfig = hookOptions.config(spec.commandLine());
    SyslogForwarder.Target syslogTarget = syslogOptions.target(spec.commandLine());
    RedisTarget redisTarget = clusterOptions.target(spec.commandLine());
    if (check || printConfig) {
      serverConfig();
      metricsOption.address(spec.commandLine());
      adminOption.address(spec.commandLine());
      adminOption.tls();
      return checked();
    }
    boolean auditToStdout = auditLog.toString().equals("-");
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Clock clock = Clock.systemUTC();
    AuthgateServer.Builder builder =
        AuthgateServer.builder(serverConfig(), keys)
            .clock(clock)
            .redis(redisTarget)
            .hooks(hookConfig)
            .metrics(metricsOption.address(spec.commandLine()))
            .admin(adminOption.address(spec.commandLine()))
            .adminTls(adminOption.tls())
            .watchKeystore(WATCH_INTERVAL)
            .rotateEvery(rotation.rotateEvery)
            .rotateDeadline(rotation.rotateDeadline)
            .onSkippedKeyFile(problem -> reportSkipped(problem, err));
    if (auditToStdout) {
      builder.auditTo(new StdoutAuditLog(System.out, clock));
    } else {
      builder.auditLog(auditLog, auditRotation.rotation());
    }
    if (syslogTarget != null) {
      builder.syslog(syslogTarget, syslogOptions.auditSyslogQueue);
    }
    // The first upload and download then run at full speed instead of through interpreted GHASH
    // and SHA-256.
    CryptoWarmup.startInBackground(CryptoWarmup.Side.BOTH);
    AuthgateServer server = builder.start();
    Runtime.getRuntime()
        .addShutdownHook(new Thread(() -> stop(server, shutdownGrace), "authgate-shutdown"));
    // With the audit log on stdout, stdout is JSON lines only.
    announce(server, auditToStdout ? err : out);
    new CountDownLatch(1).await();
    return 0;
  }

  /** {@code --check} and {@code --print-config}: nothing is started. */
  private int checked() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    java.io.StringWriter notes = new java.io.StringWriter();
    java.util.List<String> problems =
        ServeCheck.problems(
            keys, auditLog, uploadOptions.uploads, uploadOptions.published, new PrintWriter(notes));
    if (printConfig) {
      ServeCheck.printEffective(spec, out);
    } else {
      out.print(notes);
    }
    for (String problem : problems) {
      err.println("auth-server: " + problem);
    }
    if (problems.isEmpty() && !printConfig) {
      Path source =
          spec.commandLine().getDefaultValueProvider() instanceof ConfigDefaults defaults
              ? defaults.source()
              : null;
      out.println("configuration OK" + (source == null ? "" : " (" + source + ")"));
    }
    out.flush();
    return problems.isEmpty() ? 0 : ExitCode.FAILURE.code();
  }

  /** A {@code --config} file's setting that is no option of serve is a usage error. */
  private void rejectUnknownSettings() {
    if (!(spec.commandLine().getDefaultValueProvider() instanceof ConfigDefaults defaults)
        || defaults.source() == null) {
      return;
    }
    java.util.List<String> unknown = defaults.unknownSettings(spec);
    if (!unknown.isEmpty()) {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(),
          (config == null ? "" : "--config ")
              + defaults.source()
              + ": unknown setting"
              + (unknown.size() == 1 ? " " : "s ")
              + String.join(", ", unknown.stream().map(k -> "'" + k + "'").toList())
              + "; settings are serve's long options without the dashes, e.g. port=7350");
    }
  }

  private ServerConfig serverConfig() throws UnknownHostException {
    return new ServerConfig(
        address(bind),
        port,
        serverId == null ? hostName() : serverId,
        handshakeTimeout,
        idleTimeout,
        uploadOptions.limits(),
        defenceOptions.defences(),
        new ChatLimits(chatHistory, chatQueue),
        sessionOptions.limits(),
        uploadOptions.published,
        datagramOptions.limits());
  }

  private void reportSkipped(String problem, PrintWriter err) {
    if (logFormat == LogFormat.JSON) {
      LOG.atWarn().setMessage("skipped " + problem).addKeyValue("event", "keys.skipped").log();
    } else {
      err.println("auth-server: skipped " + problem);
    }
  }

  /** Says where the server listens, on {@code listening} and in the log. */
  private void announce(AuthgateServer server, PrintWriter listening) {
    String listen = Addresses.format(server.address());
    String hostKey = server.hostKeys().get().signing().publicKey().fingerprint();
    KeystoreSnapshot snapshot = server.loadedAtStart();
    listening.println("listening on " + listen);
    listening.flush();
    if (server.servesMetrics()) {
      LOG.info("metrics at http://{}/metrics", metricsOption.metrics);
    }
    LOG.atInfo()
        .addKeyValue("event", AuditEventType.SERVER_STARTED.wireName())
        .addKeyValue("version", Version.describe())
        .addKeyValue("listen", listen)
        .addKeyValue("clients", snapshot.clients().size())
        .addKeyValue("keys", snapshot.keyCount())
        .addKeyValue("keystore", keys.toString())
        .addKeyValue("audit_log", auditLog.toString())
        .addKeyValue("host_key", hostKey)
        .log(
            "{} listening on {}; {} with {} from {}; audit log {}; host key {}",
            Version.describe(),
            listen,
            plural(snapshot.clients().size(), "client"),
            plural(snapshot.keyCount(), "key"),
            keys,
            auditLog,
            hostKey);
  }

  private static String plural(long count, String noun) {
    return count + " " + noun + (count == 1 ? "" : "s");
  }

  /**
   * Runs on SIGTERM or SIGINT: stops the server in its order (which audits server.stopped and
   * closes the audit log last), then ends the process with status 0 — a requested stop is not a
   * failure.
   */
  private static void stop(AuthgateServer server, Duration grace) {
    long started = System.nanoTime();
    int open = server.connections().verifiedSessions();
    server.close(grace);
    // One line that says the stop was asked for and went cleanly (the audit has server.stopped).
    LOG.info(
        "stopped on request: {} session{} ended, in {} ms",
        open,
        open == 1 ? "" : "s",
        (System.nanoTime() - started) / 1_000_000);
    System.out.flush();
    System.err.flush();
    Runtime.getRuntime().halt(0);
  }

  private static InetAddress address(String bind) throws UnknownHostException {
    try {
      return InetAddress.getByName(bind);
    } catch (UnknownHostException e) {
      throw new UnknownHostException("cannot resolve --bind address '" + bind + "'");
    }
  }

  private static String hostName() {
    try {
      String name = InetAddress.getLocalHost().getHostName();
      return name.isBlank() ? "authgate" : name;
    } catch (UnknownHostException e) {
      return "authgate";
    }
  }
}
