package dev.authgate.protocol.crypto;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.Supplier;

/**
 * Ephemeral X25519 key pairs made ahead of time on a background thread, so the key generation (a
 * quarter of a server's handshake CPU) is not between a client's connect and its HELLO when the
 * machine has a spare moment. Each pair is handed out once and then only referenced by the
 * handshake that took it, exactly as a pair generated on the spot: forward secrecy is unchanged (a
 * pair waits in memory for at most the time until the next connections take it, and is never
 * written anywhere). When the pool is empty — a burst, or a machine with no CPU to spare — {@link
 * #get} generates one on the calling thread, as before.
 *
 * <p>Thread-safe. The filler is a daemon platform thread at the lowest priority; {@link #close}
 * stops it and drops the pairs still waiting.
 */
public final class X25519KeyPool implements Supplier<X25519KeyPair>, AutoCloseable {
  private final RandomSource randomness;
  private final BlockingQueue<X25519KeyPair> ready;
  private final Thread filler;
  private volatile boolean closed;

  /**
   * Starts a pool of up to {@code capacity} pairs, filled by a thread named {@code threadName}.
   *
   * @param randomness where private keys come from; must be safe for use from many threads
   */
  public X25519KeyPool(RandomSource randomness, int capacity, String threadName) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1");
    }
    this.randomness = randomness;
    this.ready = new ArrayBlockingQueue<>(capacity);
    this.filler =
        Thread.ofPlatform()
            .name(threadName)
            .daemon(true)
            .priority(Thread.MIN_PRIORITY)
            .unstarted(this::fill);
    filler.start();
  }

  /** A pair no one else has been given: from the pool, or generated now if it is empty. */
  @Override
  public X25519KeyPair get() {
    X25519KeyPair pair = ready.poll();
    return pair != null ? pair : X25519KeyPair.generate(randomness);
  }

  /** How many pairs are ready now (for tests and metrics). */
  public int ready() {
    return ready.size();
  }

  private void fill() {
    try {
      while (!closed) {
        ready.put(X25519KeyPair.generate(randomness));
      }
    } catch (InterruptedException e) {
      // close() asked the filler to stop.
    } finally {
      ready.clear();
    }
  }

  /** Stops the filler and drops the waiting pairs; {@link #get} still works, generating each. */
  @Override
  public void close() {
    closed = true;
    filler.interrupt();
    try {
      filler.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    ready.clear();
  }
}
