package dev.authgate.client.bench;

import dev.authgate.client.cli.common.DurationConverter;
import dev.authgate.client.cli.common.Failures;
import dev.authgate.client.cli.common.ServerOptions;
import dev.authgate.client.connect.Backoff;
import dev.authgate.client.connect.Connector;
import dev.authgate.client.connect.Reconnector;
import dev.authgate.client.connect.ServerAddress;
import dev.authgate.client.connect.VerifiedConnection;
import dev.authgate.protocol.keyfile.Credential;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bench sessions}: opens COUNT verified sessions, holds them idle, and measures what new
 * clients see meanwhile — and, read from the server's metrics, what each held session costs it.
 */
@Command(
    name = "sessions",
    mixinStandardHelpOptions = true,
    description =
        "Open COUNT verified sessions and hold them idle for --hold, while a probe client measures "
            + "new handshakes (p50/p99). With --metrics, read the server's resident memory and heap "
            + "(after its last collection) before and after, per held session. The server's "
            + "--max-sessions, --max-sessions-per-client (or keys set --sessions), --max-startups "
            + "and its descriptor limit apply: raise them on a test server.")
final class BenchSessions implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin ServerOptions target;

  @Option(
      names = "--count",
      paramLabel = "N",
      defaultValue = "1000",
      description = "Sessions to open and hold (default: ${DEFAULT-VALUE}).")
  int count;

  @Option(
      names = "--open-threads",
      paramLabel = "N",
      defaultValue = "4",
      description =
          "Sessions opened concurrently (default: ${DEFAULT-VALUE}). From one source address, more "
              + "than the server's --per-source-max-startups (16 by default) are refused as busy "
              + "unless --retry is given or the cap raised.")
  int openThreads;

  @Option(
      names = "--sources",
      paramLabel = "ADDR[-ADDR]",
      split = ",",
      description =
          "Local addresses to connect from, in turn (e.g. 127.0.0.1,127.0.0.2, or a range "
              + "127.0.0.1-127.0.0.200 to look like 200 machines): one address has about 28 000 "
              + "ephemeral ports towards one server port. Default: the system's choice.")
  List<String> sourceSpecs = new ArrayList<>();

  private List<InetAddress> sources = List.of();

  @Option(
      names = "--retry",
      description =
          "Retry a connection the server turns away for now (busy, penalised, timed out) after "
              + "the client's usual backoff (0.5 s doubling to 60 s, jittered), as reconnecting "
              + "machines do: with --open-threads as high as --count, a burst of machines after an "
              + "outage. Refusals that are final (wrong key, revoked) are not retried.")
  boolean retry;

  @Option(
      names = "--retry-for",
      paramLabel = "DURATION",
      defaultValue = "2m",
      converter = DurationConverter.class,
      description = "With --retry, give a session up after this long (default: ${DEFAULT-VALUE}).")
  Duration retryFor;

  @Option(
      names = "--hold",
      paramLabel = "DURATION",
      defaultValue = "10s",
      converter = DurationConverter.class,
      description =
          "How long to hold the sessions once open, probing meanwhile (default: ${DEFAULT-VALUE}).")
  Duration hold;

  @Option(
      names = "--keepalive",
      paramLabel = "DURATION",
      defaultValue = "60s",
      converter = DurationConverter.class,
      description =
          "Ping every held session this often, to stay inside the server's --idle-timeout "
              + "(default: ${DEFAULT-VALUE}).")
  Duration keepalive;

  @Option(
      names = "--probe-interval",
      paramLabel = "DURATION",
      defaultValue = "20ms",
      converter = DurationConverter.class,
      description =
          "Pause between the probe client's handshakes while holding (default: ${DEFAULT-VALUE}).")
  Duration probeInterval;

  @Option(
      names = "--metrics",
      paramLabel = "URL",
      description =
          "The server's metrics (serve --metrics), e.g. http://127.0.0.1:9750/metrics. For an "
              + "exact heap figure, force a collection in the server (jcmd PID GC.run) before the "
              + "end of --hold.")
  URI metrics;

  @Option(names = "--json", description = "One JSON object on stdout instead of sentences.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    if (count < 1 || count > 1_000_000) {
      throw new IllegalArgumentException("--count must be from 1 to 1000000");
    }
    if (openThreads < 1 || openThreads > 10_000) {
      throw new IllegalArgumentException("--open-threads must be from 1 to 10000");
    }
    if (keepalive.isZero() || keepalive.isNegative()) {
      throw new IllegalArgumentException("--keepalive must be positive");
    }
    sources = Sources.parse(sourceSpecs);
    ServerAddress address = target.address();
    Credential credential = target.credential();
    Connector connector = target.connector(credential, Duration.ofSeconds(30));
    ServerMemory.Reader server = metrics == null ? null : new ServerMemory.Reader(metrics);
    ServerMemory before = server == null ? null : server.read();

    AtomicReferenceArray<VerifiedConnection> held = new AtomicReferenceArray<>(count);
    AtomicLong failed = new AtomicLong();
    AtomicReference<Exception> firstFailure = new AtomicReference<>();
    long openStart = System.nanoTime();
    open(connector, address, held, failed, firstFailure);
    double openSeconds = (Math.max(lastIn.get(), openStart) - openStart) / 1e9;
    int opened = count - (int) failed.get();
    ServerMemory open = server == null ? null : server.read();

    BenchCommand.Recorder probes = new BenchCommand.Recorder();
    AtomicLong probeFailures = new AtomicLong();
    AtomicLong lost = new AtomicLong();
    try {
      holdAndProbe(connector, address, held, probes, probeFailures, lost);
      ServerMemory after = server == null ? null : settled(server, opened - (int) lost.get());
      int alive = HeldSessions.pingAll(held, lost);
      report(
          new Result(
              opened,
              openSeconds,
              failed.get(),
              alive,
              probes.values(),
              probeFailures.get(),
              before,
              open,
              after),
          firstFailure.get());
      return opened == 0 ? Failures.exitCode(firstFailure.get()).code() : 0;
    } finally {
      HeldSessions.closeAll(held);
    }
  }

  /**
   * The server's metrics once its session count has let go of the last probe, which closed just now
   * and which the server counts until it has read the probe's CLOSE; after ten seconds, as they
   * are.
   */
  private static ServerMemory settled(ServerMemory.Reader server, int held)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    ServerMemory now = server.read();
    while (now.sessions() > held && System.nanoTime() < deadline) {
      Thread.sleep(20);
      now = server.read();
    }
    return now;
  }

  private InetAddress source(int index) {
    return sources.isEmpty() ? null : sources.get(index % sources.size());
  }

  /** Connection attempts turned away and retried (with --retry). */
  private final AtomicLong retried = new AtomicLong();

  /** When the last session got in. */
  private final AtomicLong lastIn = new AtomicLong();

  private void open(
      Connector connector,
      ServerAddress address,
      AtomicReferenceArray<VerifiedConnection> held,
      AtomicLong failed,
      AtomicReference<Exception> firstFailure)
      throws InterruptedException {
    AtomicInteger next = new AtomicInteger();
    List<Thread> openers = new ArrayList<>();
    for (int t = 0; t < openThreads; t++) {
      openers.add(
          Thread.ofVirtual()
              .name("bench-open-" + t)
              .start(
                  () -> {
                    java.util.Random jitter = new java.util.Random();
                    for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
                      long giveUp = System.nanoTime() + retryFor.toNanos();
                      for (int attempt = 0; ; attempt++) {
                        try {
                          VerifiedConnection connection = connector.connect(address, source(i));
                          connection.ping();
                          held.set(i, connection);
                          lastIn.accumulateAndGet(System.nanoTime(), Math::max);
                          break;
                        } catch (IOException | RuntimeException e) {
                          Duration wait = Backoff.DEFAULT.delay(attempt, jitter);
                          if (retry
                              && !Reconnector.isPermanent(e)
                              && System.nanoTime() + wait.toNanos() < giveUp) {
                            retried.incrementAndGet();
                            try {
                              Thread.sleep(wait);
                            } catch (InterruptedException stop) {
                              return;
                            }
                            continue;
                          }
                          failed.incrementAndGet();
                          firstFailure.compareAndSet(null, e);
                          break;
                        }
                      }
                    }
                  }));
    }
    for (Thread opener : openers) {
      opener.join();
    }
  }

  /**
   * Holds the sessions for {@code hold}: one thread pings each every {@code keepalive}, spread
   * evenly; another times a new verified connection every {@code probeInterval}.
   */
  private void holdAndProbe(
      Connector connector,
      ServerAddress address,
      AtomicReferenceArray<VerifiedConnection> held,
      BenchCommand.Recorder probes,
      AtomicLong probeFailures,
      AtomicLong lost)
      throws InterruptedException {
    long end = System.nanoTime() + hold.toNanos();
    Thread keeper =
        Thread.ofVirtual()
            .name("bench-keepalive")
            .start(
                () -> {
                  long gap = Math.max(1, keepalive.toNanos() / count);
                  long due = System.nanoTime() + keepalive.toNanos();
                  for (int i = 0; System.nanoTime() < end; i = (i + 1) % count) {
                    if (!HeldSessions.sleepUntil(Math.min(due, end)) || System.nanoTime() >= end) {
                      return;
                    }
                    due += gap;
                    VerifiedConnection connection = held.get(i);
                    if (connection != null && !HeldSessions.pingOnce(connection)) {
                      held.set(i, null);
                      lost.incrementAndGet();
                    }
                  }
                });
    InetAddress probeSource = source(0);
    while (System.nanoTime() < end) {
      long t0 = System.nanoTime();
      try (VerifiedConnection probe = connector.connect(address, probeSource)) {
        probe.ping();
        probes.add(System.nanoTime() - t0);
      } catch (IOException | RuntimeException e) {
        probeFailures.incrementAndGet();
      }
      if (!HeldSessions.sleepUntil(Math.min(end, System.nanoTime() + probeInterval.toNanos()))) {
        break;
      }
    }
    // Not interrupted: an interrupt closes a virtual thread's socket in the middle of a ping, and
    // would lose that session. The keeper stops by itself at the end.
    keeper.join();
  }

  private record Result(
      int opened,
      double openSeconds,
      long failed,
      int alive,
      long[] probeNanos,
      long probeFailures,
      ServerMemory before,
      ServerMemory open,
      ServerMemory after) {}

  private void report(Result r, Exception firstFailure) {
    PrintWriter out = spec.commandLine().getOut();
    long[] probes = r.probeNanos().clone();
    java.util.Arrays.sort(probes);
    double rate = r.opened() / Math.max(r.openSeconds(), 1e-9);
    ServerMemory.PerSession memory =
        r.before() == null
            ? null
            : ServerMemory.perSession(r.before(), r.open(), r.after(), r.alive());
    if (json) {
      reportJson(out, r, probes, rate, memory);
    } else {
      reportText(out, r, probes, rate, memory);
    }
    out.flush();
    BenchCommand.reportFirstFailure(spec, firstFailure);
  }

  private void reportJson(
      PrintWriter out, Result r, long[] probes, double rate, ServerMemory.PerSession memory) {
    StringBuilder line = new StringBuilder();
    line.append(
        String.format(
            Locale.ROOT,
            "{\"benchmark\":\"sessions\",\"count\":%d,\"opened\":%d,\"open_seconds\":%.2f,"
                + "\"opened_per_second\":%.1f,\"failed\":%d,\"held_seconds\":%.1f,\"alive\":%d,"
                + "\"probes\":%d,\"probe_p50_ms\":%.3f,\"probe_p99_ms\":%.3f,"
                + "\"probe_max_ms\":%.3f,\"probe_failed\":%d,\"retried\":%d",
            count,
            r.opened(),
            r.openSeconds(),
            rate,
            r.failed(),
            hold.toMillis() / 1e3,
            r.alive(),
            probes.length,
            BenchCommand.millis(probes, 0.50),
            BenchCommand.millis(probes, 0.99),
            BenchCommand.millis(probes, 1.0),
            r.probeFailures(),
            retried.get()));
    if (memory != null) {
      line.append(memory.json());
    }
    out.println(line.append('}'));
  }

  private void reportText(
      PrintWriter out, Result r, long[] probes, double rate, ServerMemory.PerSession memory) {
    out.printf(
        Locale.ROOT,
        "%d of %d verified sessions opened in %.1f s (%.0f/s), %d failed%s; held %.0f s, %d"
            + " still answering at the end%n",
        r.opened(),
        count,
        r.openSeconds(),
        rate,
        r.failed(),
        retry ? ", " + retried.get() + " attempts turned away and retried" : "",
        hold.toMillis() / 1e3,
        r.alive());
    out.printf(
        Locale.ROOT,
        "new verified connections meanwhile: %d, p50 %.2f ms, p99 %.2f ms, max %.2f ms; %d"
            + " failed%n",
        probes.length,
        BenchCommand.millis(probes, 0.50),
        BenchCommand.millis(probes, 0.99),
        BenchCommand.millis(probes, 1.0),
        r.probeFailures());
    if (memory != null) {
      out.println(memory.sentence());
    }
  }
}
