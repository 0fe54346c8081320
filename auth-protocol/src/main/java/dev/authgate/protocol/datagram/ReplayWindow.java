package dev.authgate.protocol.datagram;

/**
 * The anti-replay window of RFC 4303 (IPsec ESP) §3.4.3, 1 024 sequence numbers wide: a datagram is
 * accepted once, and only if it is newer than the window's right edge or inside the window and not
 * seen yet. {@link #check} is asked before a datagram is opened (so a replay or an old number costs
 * no crypto); {@link #mark} is called only after it opened, so a forged datagram cannot move the
 * window.
 *
 * <p>Not thread-safe: one per channel direction, used by one thread at a time.
 */
public final class ReplayWindow {
  /** How many sequence numbers the window spans. */
  public static final int WIDTH = 1024;

  private final long[] seen = new long[WIDTH / 64];
  private long highest = -1;

  /** Why a sequence number is not accepted. */
  public enum Verdict {
    /** Newer than any seen, or inside the window and not seen. */
    FRESH,
    /** Seen already. */
    REPEATED,
    /** Older than the window: may have been seen, cannot tell. */
    TOO_OLD
  }

  /** Whether {@code sequence} may be opened. Changes nothing. */
  public Verdict check(long sequence) {
    if (sequence < 0) {
      return Verdict.TOO_OLD;
    }
    if (sequence > highest) {
      return Verdict.FRESH;
    }
    long behind = highest - sequence;
    if (behind >= WIDTH) {
      return Verdict.TOO_OLD;
    }
    return isSet(sequence) ? Verdict.REPEATED : Verdict.FRESH;
  }

  /**
   * Records {@code sequence} as received (after it opened); slides the window if it is the newest.
   *
   * @throws IllegalStateException if {@link #check} would not say FRESH
   */
  public void mark(long sequence) {
    if (check(sequence) != Verdict.FRESH) {
      throw new IllegalStateException("sequence " + sequence + " is not fresh");
    }
    if (sequence > highest) {
      long shift = highest < 0 ? WIDTH : sequence - highest;
      if (shift >= WIDTH) {
        java.util.Arrays.fill(seen, 0L);
      } else {
        for (long s = highest + 1; s <= sequence; s++) {
          clear(s);
        }
      }
      highest = sequence;
    }
    set(sequence);
  }

  /** The newest sequence number received, or -1. */
  public long highest() {
    return highest;
  }

  private boolean isSet(long sequence) {
    int bit = (int) (sequence % WIDTH);
    return (seen[bit >>> 6] & (1L << (bit & 63))) != 0;
  }

  private void set(long sequence) {
    int bit = (int) (sequence % WIDTH);
    seen[bit >>> 6] |= 1L << (bit & 63);
  }

  private void clear(long sequence) {
    int bit = (int) (sequence % WIDTH);
    seen[bit >>> 6] &= ~(1L << (bit & 63));
  }
}
