package dev.authgate.protocol.crypto;

import dev.authgate.protocol.ProtocolException;
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
  private static final AtomicBoolean PREPARED = new AtomicBoolean();
  private static final CountDownLatch DONE = new CountDownLatch(1);

  private CryptoWarmup() {}

  /** Which side of a bulk transfer this process is: only that path is compiled ahead. */
  public enum Side {
    /** Reads, hashes and seals (an uploading client). */
    SENDER,
    /** Opens, hashes and writes (the server receiving uploads, a client fetching a file). */
    RECEIVER,
    /** Both: a server, which receives uploads and sends published files. */
    BOTH
  }

  /** Starts the warm-up for {@code side} on a daemon thread, once per process; returns at once. */
  public static void startInBackground(Side side) {
    if (STARTED.compareAndSet(false, true)) {
      Thread thread = new Thread(() -> run(side), "crypto-warmup");
      thread.setDaemon(true);
      thread.start();
    }
  }

  /**
   * Loads and initialises, on a daemon thread, what the first handshake of a just-started client
   * needs — the JDK's security providers, SecureRandom, HMAC-SHA256, AES-GCM, X25519 — with one
   * throwaway use of each, while the main thread parses its command line. In a one-shot `ping` that
   * is ~30–40 ms of start-up moved onto the other core. A class being initialised here makes the
   * main thread wait for it rather than do it twice, so nothing runs slower for it; once per
   * process, returns at once.
   */
  public static void prepareHandshakeInBackground() {
    if (PREPARED.compareAndSet(false, true)) {
      Thread thread =
          new Thread(
              () -> {
                try {
                  RandomSource random = RandomSource.secure();
                  X25519KeyPair a = X25519KeyPair.generate(random);
                  a.agree(X25519KeyPair.generate(random).publicKey());
                  byte[] prk = Hkdf.extract(random.bytes(32), random.bytes(32));
                  FrameSealer sealer = new FrameSealer(new DirectionKeys(prk, random.bytes(12)));
                  byte[] header = new byte[5];
                  sealer.sealFrame(header, 0x10, prk, 0, prk.length);
                } catch (RuntimeException | ProtocolException e) {
                  // Preparing costs speed, never correctness: the handshake does it all again.
                }
              },
              "crypto-prepare");
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
      warm(side);
    } catch (RuntimeException | ProtocolException e) {
      // A warm-up that fails costs speed, never correctness.
    } finally {
      DONE.countDown();
    }
  }

  /**
   * Runs the warm-up for {@code side} on this thread.
   *
   * @return the iterations run: {@link #ITERATIONS} unless something failed
   */
  static int warm(Side side) throws ProtocolException {
    RandomSource random = RandomSource.secure();
    DirectionKeys keys = new DirectionKeys(random.bytes(32), random.bytes(12));
    // The sending path seals into one reused frame with a sealer of its own; the receiving path
    // opens what its own sealer sealed, nonce for nonce (sharing one sealer between the two
    // would put the opener a nonce behind, and the first open would fail).
    FrameSealer sender = new FrameSealer(keys);
    FrameSealer sealer = new FrameSealer(keys);
    FrameSealer opener = new FrameSealer(keys);
    MessageDigest digest = Digests.newSha256();
    byte[] header = new byte[5];
    byte[] body = random.bytes(BYTES);
    byte[] frame = new byte[FrameSealer.frameBytes(header, body.length)];
    int done = 0;
    for (int i = 0; i < ITERATIONS; i++) {
      if (side != Side.RECEIVER) {
        sender.sealFrameInto(header, 0x22, body, 0, body.length, frame);
      }
      if (side != Side.SENDER) {
        byte[] sealed = sealer.sealFrame(header, 0x22, body, 0, body.length);
        opener.openInPlace(header, sealed, header.length, sealed.length - header.length);
      }
      digest.update(body, 0, body.length);
      done++;
    }
    digest.digest();
    return done;
  }
}
