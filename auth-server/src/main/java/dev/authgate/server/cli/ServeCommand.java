package dev.authgate.server.cli;

import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.server.audit.AuditRotation;
import dev.authgate.server.audit.JsonLinesAuditLog;
import dev.authgate.server.chat.ChatLimits;
import dev.authgate.server.connection.Addresses;
import dev.authgate.server.connection.AuthServer;
import dev.authgate.server.connection.ServerConfig;
import dev.authgate.server.defence.Cidr;
import dev.authgate.server.defence.Defences;
import dev.authgate.server.defence.PenaltyPolicy;
import dev.authgate.server.keystore.KeystoreDirectory;
import dev.authgate.server.keystore.KeystoreSnapshot;
import dev.authgate.server.keystore.KeystoreWatcher;
import dev.authgate.server.keystore.LiveKeystore;
import dev.authgate.server.upload.UploadLimits;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code auth-server serve}: run the server until SIGTERM or SIGINT. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = "Accept connections, verify machines, audit every refusal.")
final class ServeCommand implements Callable<Integer> {
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
      description = "Audit log, JSON Lines, appended (default: ${DEFAULT-VALUE}).")
  Path auditLog;

  @Option(
      names = "--uploads",
      paramLabel = "DIR",
      defaultValue = "uploads",
      description =
          "Where verified clients' files are stored, one directory per client"
              + " (default: ${DEFAULT-VALUE}).")
  Path uploads;

  @Option(
      names = "--max-file-size",
      paramLabel = "SIZE",
      defaultValue = "10G",
      converter = SizeConverter.class,
      description = "Largest single upload, e.g. 500M, 10G (default: ${DEFAULT-VALUE}).")
  long maxFileSize;

  @Option(
      names = "--quota",
      paramLabel = "SIZE",
      defaultValue = "50G",
      converter = SizeConverter.class,
      description = "Most bytes one client may store (default: ${DEFAULT-VALUE}).")
  long quota;

  @Option(
      names = "--partial-keep",
      paramLabel = "DURATION",
      defaultValue = "24h",
      converter = DurationConverter.class,
      description =
          "How long an interrupted upload is kept for --resume (default: ${DEFAULT-VALUE}).")
  Duration partialKeep;

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
      names = "--max-startups",
      paramLabel = "START:RATE:FULL",
      defaultValue = "10:30:100",
      description =
          "Handshakes in progress: from START on, drop new connections with RATE% chance, rising"
              + " to all at FULL (default: ${DEFAULT-VALUE}).")
  String maxStartups;

  @Option(
      names = "--penalty-authfail",
      paramLabel = "DURATION",
      defaultValue = "5s",
      converter = DurationConverter.class,
      description = "Penalty per failed authentication (default: ${DEFAULT-VALUE}).")
  Duration penaltyAuthFail;

  @Option(
      names = "--penalty-timeout",
      paramLabel = "DURATION",
      defaultValue = "10s",
      converter = DurationConverter.class,
      description = "Penalty per handshake timeout (default: ${DEFAULT-VALUE}).")
  Duration penaltyTimeout;

  @Option(
      names = "--penalty-malformed",
      paramLabel = "DURATION",
      defaultValue = "2s",
      converter = DurationConverter.class,
      description = "Penalty per malformed handshake (default: ${DEFAULT-VALUE}).")
  Duration penaltyMalformed;

  @Option(
      names = "--penalty-threshold",
      paramLabel = "DURATION",
      defaultValue = "15s",
      converter = DurationConverter.class,
      description = "Refuse a source while its penalty exceeds this (default: ${DEFAULT-VALUE}).")
  Duration penaltyThreshold;

  @Option(
      names = "--penalty-max",
      paramLabel = "DURATION",
      defaultValue = "10m",
      converter = DurationConverter.class,
      description = "Longest penalty a source can build up (default: ${DEFAULT-VALUE}).")
  Duration penaltyMax;

  @Option(
      names = "--penalty-sources",
      paramLabel = "N",
      defaultValue = "65536",
      description =
          "Most sources remembered; the least recently penalised go first"
              + " (default: ${DEFAULT-VALUE}).")
  int penaltySources;

  @Option(
      names = "--penalty-ipv6-prefix",
      paramLabel = "BITS",
      defaultValue = "64",
      description =
          "IPv6 addresses sharing this prefix are one source (default: ${DEFAULT-VALUE}).")
  int ipv6Prefix;

  @Option(
      names = "--exempt",
      paramLabel = "CIDR",
      split = ",",
      description = "Address blocks never penalised, e.g. 10.0.0.0/8 (repeatable).")
  List<String> exempt = new ArrayList<>();

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
      names = "--audit-max-size",
      paramLabel = "SIZE",
      defaultValue = "100M",
      converter = SizeConverter.class,
      description = "Rotate the audit log before it passes this size (default: ${DEFAULT-VALUE}).")
  long auditMaxSize;

  @Option(
      names = "--audit-max-files",
      paramLabel = "N",
      defaultValue = "30",
      description = "Rotated audit files kept, oldest deleted first (default: ${DEFAULT-VALUE}).")
  int auditMaxFiles;

  @Option(
      names = "--audit-daily",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description = "Also rotate the audit log at UTC midnight (default: ${DEFAULT-VALUE}).")
  boolean auditDaily;

  @Option(
      names = "--audit-compress",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description = "Gzip rotated audit files (default: ${DEFAULT-VALUE}).")
  boolean auditCompress;

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

  @Option(names = "--verbose", description = "Show stack traces on errors.")
  boolean verbose;

  @Override
  public Integer call() throws IOException, InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    ServerConfig config =
        new ServerConfig(
            address(bind),
            port,
            serverId == null ? hostName() : serverId,
            handshakeTimeout,
            idleTimeout,
            new UploadLimits(uploads, maxFileSize, quota, partialKeep),
            new Defences(penaltyPolicy(), maxStartups),
            new ChatLimits(chatHistory, chatQueue));
    Clock clock = Clock.systemUTC();
    KeystoreDirectory directory = new KeystoreDirectory(keys, clock, RandomSource.secure());
    KeystoreSnapshot snapshot = directory.load();
    snapshot.skipped().forEach(s -> err.println("auth-server: skipped " + s.problem()));
    JsonLinesAuditLog audit =
        JsonLinesAuditLog.open(
            auditLog,
            clock,
            new AuditRotation(auditMaxSize, auditMaxFiles, auditDaily, auditCompress));
    LiveKeystore live = new LiveKeystore(snapshot, clock);
    AuthServer server;
    try {
      server = AuthServer.start(config, live, audit, clock, RandomSource.secure());
    } catch (IOException e) {
      audit.close();
      throw e;
    }
    KeystoreWatcher.record(audit, keys, snapshot);
    KeystoreWatcher watcher =
        new KeystoreWatcher(directory, live, audit, server::revalidateSessions);
    watcher.start(WATCH_INTERVAL);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(() -> stop(watcher, server, audit, shutdownGrace), "authgate-shutdown"));
    out.println("listening on " + Addresses.format(server.address()));
    out.flush();
    new CountDownLatch(1).await();
    return 0;
  }

  /**
   * Runs on SIGTERM or SIGINT: stop watching, close the server (which audits server.stopped), close
   * the audit log, then end the process with status 0 — a requested stop is not a failure.
   */
  private static void stop(
      KeystoreWatcher watcher, AuthServer server, JsonLinesAuditLog audit, Duration grace) {
    watcher.close();
    server.close(grace);
    try {
      audit.close();
    } catch (IOException ignored) {
      // Nothing more can be recorded at this point.
    }
    System.out.flush();
    System.err.flush();
    Runtime.getRuntime().halt(0);
  }

  private PenaltyPolicy penaltyPolicy() {
    return new PenaltyPolicy(
        penaltyAuthFail,
        penaltyTimeout,
        penaltyMalformed,
        penaltyThreshold,
        penaltyMax,
        32,
        ipv6Prefix,
        penaltySources,
        exempt.stream().map(Cidr::parse).toList());
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
