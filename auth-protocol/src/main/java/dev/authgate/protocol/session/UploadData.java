package dev.authgate.protocol.session;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Client to server: the next bytes of the file being uploaded; the body is the bytes themselves, 1
 * to {@link #MAX_BYTES} of them.
 *
 * <p>A view of {@code length} bytes of {@code buffer} from {@code offset}, so neither the sender
 * nor the receiver copies a chunk to make or take one: a received chunk is a view of the frame it
 * was opened in. The buffer is owned by the message.
 *
 * @param buffer holds the chunk
 * @param offset where the chunk starts in {@code buffer}
 * @param length the chunk's length
 */
public record UploadData(byte[] buffer, int offset, int length) implements SessionMessage {
  static final byte TYPE = 0x22;

  /** Largest chunk: the session frame cap less the inner type byte and the tag. */
  public static final int MAX_BYTES = 1 << 20;

  /** Checks the view lies inside the buffer. */
  public UploadData {
    java.util.Objects.checkFromIndexSize(offset, length, buffer.length);
  }

  /** A chunk of all of {@code bytes}. */
  public UploadData(byte[] bytes) {
    this(bytes, 0, bytes.length);
  }

  /** The chunk's bytes: the buffer itself when the view covers it, else a copy. */
  public byte[] bytes() {
    return offset == 0 && length == buffer.length
        ? buffer
        : Arrays.copyOfRange(buffer, offset, offset + length);
  }

  @Override
  public int type() {
    return TYPE;
  }

  @Override
  public byte[] body() {
    return bytes();
  }

  static UploadData decode(ByteBuffer body) throws ProtocolException {
    if (body.remaining() == 0) {
      throw new ProtocolException(Reason.MALFORMED, "UPLOAD_DATA is empty");
    }
    return new UploadData(body.array(), body.arrayOffset() + body.position(), body.remaining());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof UploadData d
        && Arrays.equals(d.buffer, d.offset, d.offset + d.length, buffer, offset, offset + length);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes());
  }

  @Override
  public String toString() {
    return "UploadData[" + length + " bytes]";
  }
}
