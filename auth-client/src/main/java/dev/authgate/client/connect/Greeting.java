package dev.authgate.client.connect;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import dev.authgate.protocol.frame.Frame;
import dev.authgate.protocol.frame.FrameCodec;
import dev.authgate.protocol.frame.FrameType;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;

/**
 * The first frame a server sends: HELLO or REFUSED, at once. A port that answers with anything else
 * (an SSH or SMTP banner, an HTTP error) is named as not an authgate server as soon as its first
 * bytes arrive, quoting them; one that says nothing is named as silent when the timeout passes — a
 * service that waits for its client to speak first (HTTP, TLS) cannot be told apart from a stalled
 * server any sooner, since an authgate client must not speak first.
 */
final class Greeting {
  /** The most bytes of a foreign greeting quoted. */
  static final int QUOTED = 60;

  private Greeting() {}

  /**
   * Reads the first frame from {@code in} (whose socket's read timeout is {@code timeout}).
   *
   * @throws SilentServerException if nothing arrived within the timeout
   * @throws ProtocolException if what arrived cannot start a HELLO or REFUSED
   * @throws EOFException if the server closed without a byte
   */
  static Frame read(BufferedInputStream in, ServerAddress server, Duration timeout)
      throws IOException {
    byte[] head = new byte[FrameCodec.HEADER_BYTES];
    in.mark(head.length);
    int got = 0;
    try {
      for (int n; got < head.length && (n = in.read(head, got, head.length - got)) >= 0; ) {
        got += n;
      }
    } catch (SocketTimeoutException e) {
      if (got > 0) {
        throw e;
      }
      throw new SilentServerException(
          server
              + " accepted the connection but sent nothing in "
              + Math.max(1, timeout.toSeconds())
              + " s: an authgate server sends HELLO at once (is this another service's port?)");
    }
    if (got == 0) {
      throw new EOFException(server + " closed the connection without sending HELLO");
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
    return FrameCodec.read(in, FrameCodec.PRE_AUTH_MAX_PAYLOAD);
  }

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
