package dev.authgate.protocol.crypto;

import java.security.MessageDigest;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Brings the JIT to the CPU's AES-GCM, GHASH and SHA-256 instructions before bulk data flows.
 *
 * <p>HotSpot uses those intrinsics only from compiled code, and compiles a method after thousands
 * of calls. A bulk transfer calls the crypto once per 256 KiB chunk, so a process that lives for a
 * few seconds runs most of a 1 GiB upload through interpreted GHASH and SHA-256 at a fifth of the
 * speed (docs/PERFORMANCE.md). A few thousand sealings, openings and digests of small buffers, on a
 * background thread while the connection is being made, get the same methods compiled in about 0.2
 * s of one core's time; the transfer then runs at full speed from its first megabytes.
 *
 * <p>Runs at most once per process. The keys are random and everything computed is discarded.
 */
public final class CryptoWarmup {
  /** Iterations that reach C2 for the seal, open and digest paths (measured: PERFORMANCE.md). */
  static final int ITERATIONS = 12_000;

  private static final int BYTES = 512;
  private static final AtomicBoolean STARTED = new AtomicBoolean();
  private static final CountDownLatch DONE = new CountDownLatch(1);

  private CryptoWarmup() {}

  /** Which side of a bulk transfer this process is: only that path is compiled ahead. */
  public enum Side {
    /** Reads, hashes and seals (an uploading client). */
    SENDER,
    /** Opens, hashes and writes (the server receiving uploads). */
    RECEIVER
  }

  /** Starts the warm-up for {@code side} on a daemon thread, once per process; returns at once. */
  public static void startInBackground(Side side) {
    if (STARTED.compareAndSet(false, true)) {
      Thread thread = new Thread(() -> run(side), "crypto-warmup");
      thread.setDaemon(true);
      thread.start();
    }
  }

  /** Waits up to {@code millis} for a started warm-up to finish; for benchmarks and tests. */
  public static boolean awaitDone(long millis) throws InterruptedException {
    return DONE.await(millis, TimeUnit.MILLISECONDS);
  }

  private static void run(Side side) {
    try {
      RandomSource random = RandomSource.secure();
      DirectionKeys keys = new DirectionKeys(random.bytes(32), random.bytes(12));
      FrameSealer sealer = new FrameSealer(keys);
      FrameSealer opener = new FrameSealer(keys);
      MessageDigest digest = Digests.newSha256();
      byte[] header = new byte[5];
      byte[] body = random.bytes(BYTES);
      // Both sides seal (the receiver's opening needs sealed frames); only the receiver opens, so a
      // sender's JIT does not spend its time compiling a path it will not use.
      byte[] frame = sealer.sealFrame(header, 0x22, body, 0, body.length);
      for (int i = 0; i < ITERATIONS; i++) {
        if (side == Side.SENDER) {
          sealer.sealFrameInto(header, 0x22, body, 0, body.length, frame);
        } else {
          byte[] sealed = sealer.sealFrame(header, 0x22, body, 0, body.length);
          opener.openInPlace(header, sealed, header.length, sealed.length - header.length);
        }
        digest.update(body, 0, body.length);
      }
      digest.digest();
    } catch (RuntimeException | dev.authgate.protocol.ProtocolException e) {
      // A warm-up that fails costs speed, never correctness.
    } finally {
      DONE.countDown();
    }
  }
}
