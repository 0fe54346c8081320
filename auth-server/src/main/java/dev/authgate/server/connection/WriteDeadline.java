package dev.authgate.server.connection;

import java.io.IOException;
import java.io.OutputStream;

/**
 * A socket's output stream that knows how long its current write has been blocked. Java's blocking
 * sockets have no write timeout, so the server's write watchdog asks every connection {@link
 * #stalledLongerThan} and closes the socket of one whose peer stopped reading: the blocked write
 * then fails and the connection's own thread ends the session.
 *
 * <p>Thread-safety: written by the connection's own threads (one write at a time, as {@link
 * dev.authgate.protocol.session.SecureChannel} serialises sends); {@link #stalledLongerThan} may be
 * called from any thread.
 */
final class WriteDeadline extends OutputStream {
  private static final long IDLE = 0;

  private final OutputStream out;
  private volatile long writingSince = IDLE;

  WriteDeadline(OutputStream out) {
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
    } finally {
      writingSince = IDLE;
    }
  }

  @Override
  public void flush() throws IOException {
    out.flush();
  }

  /** Whether a write has been blocked for longer than {@code nanos}, as of {@code nowNanos}. */
  boolean stalledLongerThan(long nanos, long nowNanos) {
    long since = writingSince;
    return since != IDLE && nowNanos - since > nanos;
  }

  @Override
  public void close() throws IOException {
    out.close();
  }
}
