package dev.authgate.protocol.session;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import dev.authgate.protocol.crypto.FrameSealer;
import dev.authgate.protocol.frame.Frame;
import dev.authgate.protocol.frame.FrameCodec;
import dev.authgate.protocol.frame.FrameType;
import dev.authgate.protocol.handshake.SessionKeys;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A verified session over a pair of streams: {@link #send} seals, {@link #receive} opens. Any frame
 * that fails to open ends the session with {@link Reason#INTEGRITY}; the caller must close.
 *
 * <p>Thread-safety: {@link #send} may be called from many threads (sends are serialised); {@link
 * #receive} must be called from one thread at a time.
 */
public final class SecureChannel {
  private final InputStream in;
  private final OutputStream out;
  private final FrameSealer sendSealer;
  private final FrameSealer receiveSealer;
  private final ReentrantLock sendLock = new ReentrantLock();
  private final AtomicLong bytesSent = new AtomicLong();
  private final AtomicLong bytesReceived = new AtomicLong();

  /** Frames this large are sealed into {@link #bulkFrame}, reused. */
  private static final int BULK_FRAME_BYTES = 64 * 1024;

  private byte[] bulkFrame;

  private SecureChannel(
      InputStream in, OutputStream out, FrameSealer sendSealer, FrameSealer receiveSealer) {
    this.in = in;
    this.out = out;
    this.sendSealer = sendSealer;
    this.receiveSealer = receiveSealer;
  }

  /** The client's end: sends with client-to-server keys. */
  public static SecureChannel client(InputStream in, OutputStream out, SessionKeys keys) {
    return new SecureChannel(
        in, out, new FrameSealer(keys.clientToServer()), new FrameSealer(keys.serverToClient()));
  }

  /** The server's end: sends with server-to-client keys. */
  public static SecureChannel server(InputStream in, OutputStream out, SessionKeys keys) {
    return new SecureChannel(
        in, out, new FrameSealer(keys.serverToClient()), new FrameSealer(keys.clientToServer()));
  }

  /** Seals and writes one message in one write, then flushes. */
  public void send(SessionMessage message) throws IOException {
    if (message instanceof UploadData data) {
      send(message.type(), data.buffer(), data.offset(), data.length());
    } else if (message instanceof GetData data) {
      send(message.type(), data.buffer(), data.offset(), data.length());
    } else {
      byte[] body = message.body();
      send(message.type(), body, 0, body.length);
    }
  }

  /**
   * Seals several messages and writes them in one write, then flushes. Each is its own sealed
   * frame, in order, exactly as {@link #send} would have written them one by one; only the system
   * calls are shared. A chat member's writer sends everything that queued up while it wrote the
   * last batch, so a busy room costs one write per member per batch rather than per message. For
   * small messages: an upload or download chunk goes through {@link #send}.
   */
  public void sendAll(List<? extends SessionMessage> messages) throws IOException {
    if (messages.size() == 1) {
      send(messages.getFirst());
      return;
    }
    byte[][] bodies = new byte[messages.size()][];
    int total = 0;
    for (int i = 0; i < bodies.length; i++) {
      SessionMessage message = messages.get(i);
      if (message instanceof UploadData || message instanceof GetData) {
        throw new IllegalArgumentException("bulk chunks are sent one at a time");
      }
      bodies[i] = message.body();
      total += FrameCodec.HEADER_BYTES + 1 + bodies[i].length + FrameSealer.TAG_BYTES;
    }
    sendLock.lock();
    try {
      byte[] frames = new byte[total];
      int at = 0;
      for (int i = 0; i < bodies.length; i++) {
        byte[] header =
            FrameCodec.header(FrameType.SEALED, 1 + bodies[i].length + FrameSealer.TAG_BYTES);
        at +=
            sendSealer.sealFrameInto(
                header, messages.get(i).type(), bodies[i], 0, bodies[i].length, frames, at);
      }
      out.write(frames, 0, total);
      out.flush();
      bytesSent.addAndGet(total);
    } finally {
      sendLock.unlock();
    }
  }

  /**
   * Seals and writes one message whose body is {@code length} bytes of {@code body} from {@code
   * offset}. Bulk frames are sealed into one buffer kept for the next, so a chunk is copied only by
   * the encryption itself; small frames get their own array (a chat server holds thousands of
   * channels and should not keep a bulk buffer for each).
   */
  private void send(int type, byte[] body, int offset, int length) throws IOException {
    sendLock.lock();
    try {
      byte[] header = FrameCodec.header(FrameType.SEALED, 1 + length + FrameSealer.TAG_BYTES);
      int frameBytes = FrameSealer.frameBytes(header, length);
      byte[] frame;
      if (frameBytes >= BULK_FRAME_BYTES) {
        if (bulkFrame == null || bulkFrame.length < frameBytes) {
          bulkFrame = new byte[frameBytes];
        }
        frame = bulkFrame;
      } else {
        frame = new byte[frameBytes];
      }
      sendSealer.sealFrameInto(header, type, body, offset, length, frame);
      out.write(frame, 0, frameBytes);
      out.flush();
      bytesSent.addAndGet(frameBytes);
    } finally {
      sendLock.unlock();
    }
  }

  /**
   * Reads and opens the next message.
   *
   * @throws java.io.EOFException if the peer closed between frames
   * @throws ProtocolException {@link Reason#INTEGRITY} if a frame fails to open, {@link
   *     Reason#MALFORMED} for anything that is not a valid sealed frame
   */
  public SessionMessage receive() throws IOException {
    Frame frame = FrameCodec.read(in, FrameCodec.SESSION_MAX_PAYLOAD);
    bytesReceived.addAndGet(FrameCodec.HEADER_BYTES + frame.payload().length);
    if (frame.type() != FrameType.SEALED) {
      throw new ProtocolException(
          Reason.MALFORMED, "unsealed " + frame.type() + " frame after the handshake");
    }
    // Opened in the frame's own array: an UPLOAD_DATA is then a view of it, with no copy at all.
    byte[] payload = frame.payload();
    int plain = receiveSealer.openInPlace(frame.header(), payload, 0, payload.length);
    return SessionMessage.decode(payload, plain);
  }

  /** Whether bytes from the peer are waiting, so {@link #receive} would not block for long. */
  public boolean hasPendingInput() throws IOException {
    return in.available() > 0;
  }

  /** Frame bytes written so far. */
  public long bytesSent() {
    return bytesSent.get();
  }

  /** Frame bytes read so far. */
  public long bytesReceived() {
    return bytesReceived.get();
  }
}
