package dev.authgate.client.bench;

import dev.authgate.client.cli.common.DurationConverter;
import dev.authgate.client.cli.common.Failures;
import dev.authgate.client.cli.common.ServerOptions;
import dev.authgate.client.connect.Connector;
import dev.authgate.client.connect.ServerAddress;
import dev.authgate.client.connect.VerifiedConnection;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.text.TerminalText;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code auth-client bench}: load for sizing a server, measured from the client's side. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description =
        "Measure a server from this machine: verified connections per second (handshake), idle "
            + "sessions held and their cost to the server (sessions), chat fan-out (chat), upload "
            + "throughput (upload).",
    subcommands = {
      BenchCommand.Handshake.class,
      BenchSessions.class,
      BenchChat.class,
      BenchUpload.class
    })
public final class BenchCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(
        spec.commandLine(), "missing benchmark: handshake, sessions, chat or upload");
  }

  /**
   * {@code bench handshake}: each thread connects, proves itself, verifies the server, times one
   * sealed PING/PONG and closes, again and again until the duration ends.
   */
  @Command(
      name = "handshake",
      mixinStandardHelpOptions = true,
      description =
          "Verified connections per second (connect, handshake, PING/PONG, CLOSE) from THREADS "
              + "concurrent clients, with latency percentiles. The server's per-source limits apply: raise "
              + "--max-startups and --per-source-max-startups on a test server for high THREADS.")
  static final class Handshake implements Callable<Integer> {
    private static final int PLATFORM_THREADS_UP_TO = 256;

    @Spec CommandSpec spec;

    @Mixin ServerOptions target;

    @Option(
        names = "--threads",
        paramLabel = "N",
        defaultValue = "1",
        description = "Concurrent clients (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(
        names = "--duration",
        paramLabel = "DURATION",
        defaultValue = "10s",
        converter = DurationConverter.class,
        description = "How long to run, e.g. 10s or 1m (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(
        names = "--warmup",
        paramLabel = "DURATION",
        defaultValue = "2s",
        converter = DurationConverter.class,
        description =
            "Run this long first without counting, so this JVM's own JIT compiler is not what gets "
                + "measured (default: ${DEFAULT-VALUE}; 0s to count from the first connection).")
    Duration warmup;

    @Option(names = "--json", description = "One JSON object on stdout instead of a sentence.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      if (threads < 1 || threads > 10_000) {
        throw new IllegalArgumentException("--threads must be from 1 to 10000");
      }
      ServerAddress address = target.address();
      Credential credential = target.credential();
      Connector connector = target.connector(credential, Duration.ofSeconds(10));
      long measureFrom = System.nanoTime() + warmup.toNanos();
      long end = measureFrom + duration.toNanos();
      List<long[]> latencies = new ArrayList<>();
      AtomicLong failed = new AtomicLong();
      AtomicReference<Exception> firstFailure = new AtomicReference<>();
      List<Thread> workers = new ArrayList<>();
      // Up to a few hundred clients, each is a platform thread blocking in the kernel: a virtual
      // thread's read parks and is woken through the JDK's poller, ~10 % more client CPU per
      // connection that would be counted against the server. Beyond that, virtual threads.
      Thread.Builder builder =
          threads <= PLATFORM_THREADS_UP_TO ? Thread.ofPlatform() : Thread.ofVirtual();
      for (int i = 0; i < threads; i++) {
        Recorder recorder = new Recorder();
        workers.add(
            builder
                .name("bench-" + i)
                .start(
                    () -> {
                      while (System.nanoTime() < end) {
                        long t0 = System.nanoTime();
                        boolean counted = t0 >= measureFrom;
                        try (VerifiedConnection connection = connector.connect(address)) {
                          connection.ping();
                        } catch (IOException | RuntimeException e) {
                          if (!counted) {
                            continue;
                          }
                          failed.incrementAndGet();
                          firstFailure.compareAndSet(null, e);
                          continue;
                        }
                        if (counted) {
                          recorder.add(System.nanoTime() - t0);
                        }
                      }
                      synchronized (latencies) {
                        latencies.add(recorder.values());
                      }
                    }));
      }
      for (Thread worker : workers) {
        worker.join();
      }
      double seconds = (System.nanoTime() - measureFrom) / 1e9;
      long[] all = latencies.stream().flatMapToLong(Arrays::stream).sorted().toArray();
      report(all, seconds, failed.get(), firstFailure.get());
      // Nothing got through: exit as a single failed connection would (3 refused, 4 unreachable).
      return all.length == 0 ? Failures.exitCode(firstFailure.get()).code() : 0;
    }

    private void report(long[] sorted, double seconds, long failed, Exception firstFailure) {
      PrintWriter out = spec.commandLine().getOut();
      double perSecond = sorted.length / seconds;
      if (json) {
        out.printf(
            Locale.ROOT,
            "{\"benchmark\":\"handshake\",\"threads\":%d,\"seconds\":%.2f,\"connections\":%d,"
                + "\"per_second\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,"
                + "\"failed\":%d}%n",
            threads,
            seconds,
            sorted.length,
            perSecond,
            millis(sorted, 0.50),
            millis(sorted, 0.99),
            millis(sorted, 1.0),
            failed);
      } else {
        out.printf(
            Locale.ROOT,
            "%d verified connections in %.1f s from %d threads: %.0f/s; latency p50 %.2f ms,"
                + " p99 %.2f ms, max %.2f ms; %d failed%n",
            sorted.length,
            seconds,
            threads,
            perSecond,
            millis(sorted, 0.50),
            millis(sorted, 0.99),
            millis(sorted, 1.0),
            failed);
      }
      out.flush();
      BenchCommand.reportFirstFailure(spec, firstFailure);
    }
  }

  /** Says on stderr what went wrong first, if anything did: a benchmark reports, then explains. */
  static void reportFirstFailure(CommandSpec spec, Exception firstFailure) {
    if (firstFailure != null) {
      spec.commandLine()
          .getErr()
          .println(
              "auth-client: first failure: "
                  + TerminalText.escape(Failures.describe(firstFailure)));
    }
  }

  /** The {@code quantile} of {@code sorted} nanoseconds, in milliseconds (0 when empty). */
  static double millis(long[] sorted, double quantile) {
    if (sorted.length == 0) {
      return 0;
    }
    int index = (int) Math.ceil(quantile * sorted.length) - 1;
    return sorted[Math.clamp(index, 0, sorted.length - 1)] / 1e6;
  }

  /** One thread's latencies, in nanoseconds. */
  static final class Recorder {
    private long[] values = new long[1024];
    private int size;

    void add(long nanos) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = nanos;
    }

    long[] values() {
      return Arrays.copyOf(values, size);
    }
  }
}
