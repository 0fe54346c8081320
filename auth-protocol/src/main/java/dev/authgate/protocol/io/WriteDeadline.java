package dev.authgate.protocol.io;

import java.io.IOException;
import java.io.OutputStream;

/**
 * A socket's output stream that knows how long its current write has been blocked. Java's blocking
 * sockets have no write timeout, so a watchdog asks {@link #stalledLongerThan} and, for a peer that
 * stopped reading, calls {@link #cut} and closes the socket: the blocked write then fails with a
 * {@link WriteStalledException} that says why, and the owner of the connection ends it. The
 * server's watchdog serves every connection; each client connection has its own.
 *
 * <p>Thread-safety: written by the connection's own threads (one write at a time, as {@link
 * dev.authgate.protocol.session.SecureChannel} serialises sends); {@link #stalledLongerThan} and
 * {@link #cut} may be called from any thread.
 */
public final class WriteDeadline extends OutputStream {
  private static final long IDLE = 0;

  private final OutputStream out;
  private volatile long writingSince = IDLE;
  private volatile String cutBecause;

  /** Watches writes to {@code out}. */
  public WriteDeadline(OutputStream out) {
    this.out = out;
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    writingSince = System.nanoTime() | 1;
    try {
      out.write(b, off, len);
    } catch (IOException e) {
      String why = cutBecause;
      if (why != null) {
        throw new WriteStalledException(why, e);
      }
      throw e;
    } finally {
      writingSince = IDLE;
    }
  }

  @Override
  public void flush() throws IOException {
    out.flush();
  }

  /** Whether a write has been blocked for longer than {@code nanos}, as of {@code nowNanos}. */
  public boolean stalledLongerThan(long nanos, long nowNanos) {
    long since = writingSince;
    return since != IDLE && nowNanos - since > nanos;
  }

  /**
   * Records why the watchdog is about to close the socket, so the failed write says so. The caller
   * closes the socket.
   */
  public void cut(String why) {
    cutBecause = why;
  }

  @Override
  public void close() throws IOException {
    out.close();
  }
}
