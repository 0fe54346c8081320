package dev.authgate.client.bench;

import dev.authgate.client.cli.common.DurationConverter;
import dev.authgate.client.cli.common.Failures;
import dev.authgate.client.cli.common.ServerOptions;
import dev.authgate.client.cli.common.SizeConverter;
import dev.authgate.client.connect.Connector;
import dev.authgate.client.connect.Reconnector;
import dev.authgate.client.connect.ServerAddress;
import dev.authgate.client.connect.VerifiedConnection;
import dev.authgate.client.upload.UploadListener;
import dev.authgate.client.upload.UploadOutcome;
import dev.authgate.client.upload.Uploader;
import dev.authgate.protocol.crypto.CryptoWarmup;
import dev.authgate.protocol.keyfile.Credential;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bench upload}: PARALLEL verified sessions each upload a file of SIZE random bytes again
 * and again for the duration, as {@code bench-N.bin} with overwrite, so the server's disk holds one
 * copy per session whatever the duration.
 */
@Command(
    name = "upload",
    mixinStandardHelpOptions = true,
    description =
        "Upload throughput from --parallel sessions at once: each uploads a file of --size random "
            + "bytes (made once, in a temporary directory) again and again for --duration, stored "
            + "on the server as bench-N.bin with overwrite (one file per session). Reports MB/s in "
            + "all and the time per upload (p50/p99). The client's quota and largest file apply.")
final class BenchUpload implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin ServerOptions target;

  @Option(
      names = "--parallel",
      paramLabel = "N",
      defaultValue = "1",
      description = "Sessions uploading at once (default: ${DEFAULT-VALUE}).")
  int parallel;

  @Option(
      names = "--size",
      paramLabel = "SIZE",
      defaultValue = "64M",
      converter = SizeConverter.class,
      description = "Bytes per upload, e.g. 1M or 1G (default: ${DEFAULT-VALUE}).")
  long size;

  @Option(
      names = "--duration",
      paramLabel = "DURATION",
      defaultValue = "10s",
      converter = DurationConverter.class,
      description =
          "Start uploads for this long, after the warm-up; each one started finishes "
              + "(default: ${DEFAULT-VALUE}).")
  Duration duration;

  @Option(
      names = "--warmup",
      paramLabel = "DURATION",
      defaultValue = "2s",
      converter = DurationConverter.class,
      description =
          "Upload this long first without counting, so neither side's JIT compiler is what gets "
              + "measured (default: ${DEFAULT-VALUE}).")
  Duration warmup;

  @Option(names = "--json", description = "One JSON object on stdout instead of a sentence.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    if (parallel < 1 || parallel > 256) {
      throw new IllegalArgumentException("--parallel must be from 1 to 256");
    }
    if (size < 1) {
      throw new IllegalArgumentException("--size must be at least 1 byte");
    }
    ServerAddress address = target.address();
    Credential credential = target.credential();
    Connector connector = target.connector(credential, Duration.ofSeconds(30));
    CryptoWarmup.startInBackground(CryptoWarmup.Side.SENDER);
    Path dir = Files.createTempDirectory("authgate-bench-upload");
    Path file = dir.resolve("bench.bin");
    try {
      writeRandom(file, size);
      CryptoWarmup.awaitDone(30_000);
      long measureFrom = System.nanoTime() + warmup.toNanos();
      long end = measureFrom + duration.toNanos();
      AtomicLong bytes = new AtomicLong();
      AtomicLong failed = new AtomicLong();
      AtomicReference<Exception> firstFailure = new AtomicReference<>();
      List<long[]> times = new ArrayList<>();
      List<Thread> workers = new ArrayList<>();
      for (int i = 0; i < parallel; i++) {
        String name = "bench-" + i + ".bin";
        BenchCommand.Recorder recorder = new BenchCommand.Recorder();
        workers.add(
            Thread.ofPlatform()
                .name("bench-upload-" + i)
                .start(
                    () -> {
                      uploadUntil(
                          connector,
                          address,
                          file,
                          name,
                          measureFrom,
                          end,
                          recorder,
                          bytes,
                          failed,
                          firstFailure);
                      synchronized (times) {
                        times.add(recorder.values());
                      }
                    }));
      }
      for (Thread worker : workers) {
        worker.join();
      }
      double seconds = Math.max(1e-9, (System.nanoTime() - measureFrom) / 1e9);
      long[] sorted = times.stream().flatMapToLong(java.util.Arrays::stream).sorted().toArray();
      report(sorted, bytes.get(), seconds, failed.get(), firstFailure.get());
      return sorted.length == 0 ? Failures.exitCode(firstFailure.get()).code() : 0;
    } finally {
      Files.deleteIfExists(file);
      Files.deleteIfExists(dir);
    }
  }

  /** One session's uploads, one after another, until {@code end}; a failed session reconnects. */
  private static void uploadUntil(
      Connector connector,
      ServerAddress address,
      Path file,
      String name,
      long measureFrom,
      long end,
      BenchCommand.Recorder recorder,
      AtomicLong bytes,
      AtomicLong failed,
      AtomicReference<Exception> firstFailure) {
    while (System.nanoTime() < end) {
      try (VerifiedConnection connection = connector.connect(address)) {
        Uploader uploader = new Uploader(connection, UploadListener.silent());
        while (System.nanoTime() < end) {
          long t0 = System.nanoTime();
          UploadOutcome outcome = uploader.upload(file, name, true, false);
          if (!outcome.stored()) {
            throw new IOException("the server refused the upload: " + outcome.describe());
          }
          if (t0 >= measureFrom) {
            recorder.add(System.nanoTime() - t0);
            bytes.addAndGet(outcome.size());
          }
        }
      } catch (IOException | RuntimeException e) {
        failed.incrementAndGet();
        firstFailure.compareAndSet(null, e);
        if (Reconnect.never(e)) {
          return;
        }
      }
    }
  }

  /** Random bytes (incompressible, like the data the benchmark stands for), written once. */
  private static void writeRandom(Path file, long size) throws IOException {
    SplittableRandom random = new SplittableRandom();
    byte[] block = new byte[1 << 20];
    try (OutputStream out = Files.newOutputStream(file)) {
      for (long left = size; left > 0; ) {
        for (int i = 0; i < block.length; i += 8) {
          long v = random.nextLong();
          for (int b = 0; b < 8; b++) {
            block[i + b] = (byte) (v >>> (8 * b));
          }
        }
        int n = (int) Math.min(block.length, left);
        out.write(block, 0, n);
        left -= n;
      }
    }
  }

  private void report(long[] sorted, long bytes, double seconds, long failed, Exception first) {
    PrintWriter out = spec.commandLine().getOut();
    double megabytes = bytes / 1e6 / seconds;
    if (json) {
      out.printf(
          Locale.ROOT,
          "{\"benchmark\":\"upload\",\"parallel\":%d,\"size\":%d,\"seconds\":%.2f,\"uploads\":%d,"
              + "\"bytes\":%d,\"mb_per_second\":%.1f,\"p50_ms\":%.1f,\"p99_ms\":%.1f,"
              + "\"max_ms\":%.1f,\"failed\":%d}%n",
          parallel,
          size,
          seconds,
          sorted.length,
          bytes,
          megabytes,
          BenchCommand.millis(sorted, 0.50),
          BenchCommand.millis(sorted, 0.99),
          BenchCommand.millis(sorted, 1.0),
          failed);
    } else {
      out.printf(
          Locale.ROOT,
          "%d uploads of %d bytes in %.1f s from %d sessions: %.1f MB/s; per upload p50 %.1f ms,"
              + " p99 %.1f ms, max %.1f ms; %d failed%n",
          sorted.length,
          size,
          seconds,
          parallel,
          megabytes,
          BenchCommand.millis(sorted, 0.50),
          BenchCommand.millis(sorted, 0.99),
          BenchCommand.millis(sorted, 1.0),
          failed);
    }
    out.flush();
    BenchCommand.reportFirstFailure(spec, first);
  }

  /** Failures that another attempt cannot fix end a session's loop. */
  private static final class Reconnect {
    private Reconnect() {}

    static boolean never(Exception e) {
      return e instanceof IOException
              && e.getMessage() != null
              && e.getMessage().startsWith("the server refused the upload")
          || Reconnector.isPermanent(e);
    }
  }
}
