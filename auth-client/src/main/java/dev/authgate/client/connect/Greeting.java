package dev.authgate.client.connect;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import dev.authgate.protocol.frame.Frame;
import dev.authgate.protocol.frame.FrameCodec;
import dev.authgate.protocol.frame.FrameType;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;

/**
 * The first frame a server sends: HELLO or REFUSED, at once. A port that answers with anything else
 * (an SSH or SMTP banner, an HTTP error) is named as not an authgate server as soon as its first
 * bytes arrive, quoting them. A port that says nothing for {@link #PROBE_AFTER} is sent AUTH's
 * constant 5-byte header (docs/PROTOCOL.md §3: an authgate server reads it as the start of AUTH
 * later, so nothing changes for one that is merely slow): a service that waits for its client to
 * speak first (HTTP, TLS, a database) then answers with an error or closes, and is named at once;
 * one that still says nothing is named as silent when the timeout passes.
 */
final class Greeting {
  /** The most bytes of a foreign greeting quoted. */
  static final int QUOTED = 60;

  /** How long a port may be silent before it is sent AUTH's header to make it show what it is. */
  static final Duration PROBE_AFTER = Duration.ofMillis(500);

  /**
   * The first frame, and whether AUTH's header was sent already (the caller then sends AUTH without
   * it).
   */
  record Greeted(Frame frame, boolean authHeaderSent) {}

  private Greeting() {}

  /**
   * Reads the first frame from {@code in}, the input of {@code socket}, whose read timeout is
   * {@code timeout}; after {@link #PROBE_AFTER} of silence, AUTH's header goes out on {@code out}.
   *
   * @throws SilentServerException if nothing arrived within the timeout
   * @throws ProtocolException if what arrived cannot start a HELLO or REFUSED
   * @throws EOFException if the server closed without a byte
   */
  static Greeted read(
      BufferedInputStream in,
      Socket socket,
      OutputStream out,
      ServerAddress server,
      Duration timeout)
      throws IOException {
    byte[] head = new byte[FrameCodec.HEADER_BYTES];
    in.mark(head.length);
    HeadReader reader = new HeadReader(in, socket, out, timeout);
    int got;
    try {
      got = reader.read(head);
    } catch (SocketTimeoutException e) {
      if (reader.got > 0) {
        throw e;
      }
      throw new SilentServerException(
          server
              + " accepted the connection but sent nothing in "
              + Math.max(1, timeout.toSeconds())
              + " s: an authgate server sends HELLO at once (is this another service's port?)");
    } catch (SocketException e) {
      if (reader.got > 0 || !reader.probed) {
        throw e;
      }
      // Reset (or the probe refused) by a service that hung up on AUTH's header.
      throw new EOFException(
          server + " reset the connection without sending HELLO (is this another service's port?)");
    }
    if (got == 0) {
      throw new EOFException(
          server
              + " closed the connection without sending HELLO"
              + (reader.probed ? " (is this another service's port?)" : ""));
    }
    if (!couldStartAGreeting(head, got)) {
      throw new ProtocolException(
          Reason.MALFORMED,
          server
              + " is not an authgate server: it sent \""
              + quote(head, got, in)
              + "\" where HELLO belongs");
    }
    in.reset();
    return new Greeted(FrameCodec.read(in, FrameCodec.PRE_AUTH_MAX_PAYLOAD), reader.probed);
  }

  /**
   * Reads a frame header's bytes, sending AUTH's header once the port has been silent for {@link
   * #PROBE_AFTER}; only the wait for the first byte is that short, the rest has the whole timeout.
   * Leaves the socket's read timeout as it found it (the whole timeout).
   */
  private static final class HeadReader {
    private final BufferedInputStream in;
    private final Socket socket;
    private final OutputStream out;
    private final int millis;
    private final long start = System.nanoTime();
    private boolean probing;
    int got;
    boolean probed;

    HeadReader(BufferedInputStream in, Socket socket, OutputStream out, Duration timeout) {
      this.in = in;
      this.socket = socket;
      this.out = out;
      this.millis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
      this.probing = PROBE_AFTER.compareTo(timeout) < 0;
    }

    /** Fills {@code head} or stops at end of stream; returns how many bytes arrived. */
    int read(byte[] head) throws IOException {
      if (probing) {
        socket.setSoTimeout((int) PROBE_AFTER.toMillis());
      }
      try {
        while (got < head.length) {
          int n;
          try {
            n = in.read(head, got, head.length - got);
          } catch (SocketTimeoutException e) {
            if (!probing) {
              throw e;
            }
            probe();
            continue;
          }
          if (n < 0) {
            break;
          }
          if (probing) {
            probing = false; // a byte came: the rest has the whole timeout
            socket.setSoTimeout(left(millis, start));
          }
          got += n;
        }
        return got;
      } finally {
        socket.setSoTimeout(millis);
      }
    }

    private void probe() throws IOException {
      probing = false;
      probed = true;
      socket.setSoTimeout(left(millis, start));
      out.write(AUTH_HEADER);
      out.flush();
    }
  }

  /** The milliseconds of {@code millis} left since {@code start}, at least 1. */
  private static int left(int millis, long start) {
    return (int) Math.max(1, millis - (System.nanoTime() - start) / 1_000_000);
  }

  /** AUTH's frame header: its payload is always 274 bytes (docs/PROTOCOL.md §4.2). */
  static final byte[] AUTH_HEADER = {0x02, 0x00, 0x00, 0x01, 0x12};

  /** Whether the first {@code got} header bytes could begin a HELLO or a REFUSED. */
  static boolean couldStartAGreeting(byte[] head, int got) {
    int type = head[0] & 0xff;
    if (type != FrameType.HELLO.code() && type != FrameType.REFUSED.code()) {
      return false;
    }
    if (got < head.length) {
      return true; // cut short: the frame reader reports the truncation
    }
    long length =
        ((head[1] & 0xffL) << 24)
            | ((head[2] & 0xffL) << 16)
            | ((head[3] & 0xffL) << 8)
            | (head[4] & 0xffL);
    return type == FrameType.HELLO.code()
        ? length >= 2 && length <= FrameCodec.PRE_AUTH_MAX_PAYLOAD
        : length >= 1 && length <= 16;
  }

  /**
   * The foreign greeting's first line as text: what already arrived, up to {@link #QUOTED} bytes,
   * printable ASCII as is and every other byte as {@code \xNN}.
   */
  private static String quote(byte[] head, int got, BufferedInputStream in) throws IOException {
    byte[] bytes = new byte[QUOTED + 1];
    System.arraycopy(head, 0, bytes, 0, got);
    int n = got;
    while (n < bytes.length && in.available() > 0) {
      int r = in.read(bytes, n, Math.min(bytes.length - n, in.available()));
      if (r < 0) {
        break;
      }
      n += r;
    }
    return quote(bytes, n);
  }

  /** {@code bytes[0..n)} as {@link #quote(byte[], int, BufferedInputStream)} shows them. */
  static String quote(byte[] bytes, int n) {
    StringBuilder text = new StringBuilder();
    int i = 0;
    for (; i < Math.min(n, QUOTED); i++) {
      int b = bytes[i] & 0xff;
      if (b == '\r' || b == '\n') {
        return text.toString();
      }
      if (b >= 0x20 && b < 0x7f && b != '\\' && b != '"') {
        text.append((char) b);
      } else {
        text.append(String.format("\\x%02x", b));
      }
    }
    return n > QUOTED ? text + "..." : text.toString();
  }
}
