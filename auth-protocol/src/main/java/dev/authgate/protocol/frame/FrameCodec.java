package dev.authgate.protocol.frame;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * Encodes and decodes frames: {@code type (1 byte) | length (4 bytes, big-endian) | payload}.
 *
 * <p>Stateless and thread-safe. Reading checks the claimed length against the caller's cap before
 * allocating the payload.
 */
public final class FrameCodec {
  /** Bytes in a frame header. */
  public static final int HEADER_BYTES = 5;

  /** Largest payload accepted before authentication: a few KiB, enough for any handshake frame. */
  public static final int PRE_AUTH_MAX_PAYLOAD = 4096;

  /** Largest sealed payload after authentication: a 1 MiB body plus inner type and GCM tag. */
  public static final int SESSION_MAX_PAYLOAD = (1 << 20) + 1 + 16;

  /**
   * The read buffer to put in front of a socket for {@link #read}: big enough for a frame header
   * and any small frame (PING, a chat line, a handshake frame) in one read, small because every
   * idle session holds one. A bigger payload is read straight into its own array past the buffer
   * ({@link java.io.BufferedInputStream} does when a read asks for more than it holds), so bulk
   * transfer costs no extra copy or system call. With the JDK's 8 KiB default this buffer was more
   * than half of an idle session's heap (docs/PERFORMANCE.md, "Idle sessions").
   */
  public static final int READ_BUFFER_BYTES = 512;

  private FrameCodec() {}

  /** The 5-byte header for a payload of {@code length} bytes. */
  public static byte[] header(FrameType type, int length) {
    if (length < 0) {
      throw new IllegalArgumentException("negative frame length " + length);
    }
    byte[] header = new byte[HEADER_BYTES];
    header[0] = (byte) type.code();
    header[1] = (byte) (length >>> 24);
    header[2] = (byte) (length >>> 16);
    header[3] = (byte) (length >>> 8);
    header[4] = (byte) length;
    return header;
  }

  /** The whole frame, header and payload, in one array so it can go out in one write. */
  public static byte[] encode(FrameType type, byte[] payload) {
    byte[] frame = new byte[HEADER_BYTES + payload.length];
    System.arraycopy(header(type, payload.length), 0, frame, 0, HEADER_BYTES);
    System.arraycopy(payload, 0, frame, HEADER_BYTES, payload.length);
    return frame;
  }

  /**
   * Reads one frame.
   *
   * @param maxPayload the largest payload length accepted; checked before allocation
   * @throws EOFException if the stream ends cleanly before the first header byte
   * @throws ProtocolException {@link Reason#MALFORMED} for an unknown type, an oversize length or a
   *     stream that ends inside a frame
   * @throws IOException if reading fails
   */
  public static Frame read(InputStream in, int maxPayload) throws IOException {
    int first = in.read();
    if (first < 0) {
      throw new EOFException("connection closed between frames");
    }
    byte[] header = new byte[HEADER_BYTES];
    header[0] = (byte) first;
    readFully(in, header, 1, HEADER_BYTES - 1);
    FrameType type = FrameType.of(first);
    long length =
        ((header[1] & 0xffL) << 24)
            | ((header[2] & 0xffL) << 16)
            | ((header[3] & 0xffL) << 8)
            | (header[4] & 0xffL);
    if (length > maxPayload) {
      throw new ProtocolException(
          Reason.MALFORMED,
          "frame " + type + " claims " + length + " bytes, over the cap of " + maxPayload);
    }
    byte[] payload = new byte[(int) length];
    readFully(in, payload, 0, payload.length);
    return new Frame(type, header, payload);
  }

  private static void readFully(InputStream in, byte[] buffer, int offset, int length)
      throws IOException {
    int done = 0;
    while (done < length) {
      int n = in.read(buffer, offset + done, length - done);
      if (n < 0) {
        throw new ProtocolException(
            Reason.MALFORMED,
            "the connection ended inside a frame (after " + done + " of " + length + " bytes)");
      }
      done += n;
    }
  }
}
