package dev.authgate.protocol.handshake;

import dev.authgate.protocol.crypto.RandomSource;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/** A {@link RandomSource} that hands out fixed byte strings in order, for test vectors. */
public final class ScriptedRandom implements RandomSource {
  private final Deque<byte[]> script;

  /** Hands out {@code values} in order; each request must match the next value's length. */
  public ScriptedRandom(List<byte[]> values) {
    this.script = new ArrayDeque<>(values);
  }

  @Override
  public synchronized byte[] bytes(int length) {
    byte[] next = script.removeFirst();
    if (next.length != length) {
      throw new IllegalStateException("asked for " + length + " bytes, script has " + next.length);
    }
    return next.clone();
  }
}
