package dev.authgate.protocol.session;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Server to client: the next bytes of the file being sent; the body is the bytes themselves, 1 to
 * {@link UploadData#MAX_BYTES} of them. A view of {@code length} bytes of {@code buffer} from
 * {@code offset}, as {@link UploadData} is, so neither side copies a chunk to make or take one.
 *
 * @param buffer holds the chunk
 * @param offset where the chunk starts in {@code buffer}
 * @param length the chunk's length
 */
public record GetData(byte[] buffer, int offset, int length) implements SessionMessage {
  static final byte TYPE = 0x54;

  /** Checks the view lies inside the buffer. */
  public GetData {
    java.util.Objects.checkFromIndexSize(offset, length, buffer.length);
  }

  @Override
  public int type() {
    return TYPE;
  }

  @Override
  public byte[] body() {
    return offset == 0 && length == buffer.length
        ? buffer
        : Arrays.copyOfRange(buffer, offset, offset + length);
  }

  static GetData decode(ByteBuffer body) throws ProtocolException {
    if (body.remaining() == 0) {
      throw new ProtocolException(Reason.MALFORMED, "GET_DATA is empty");
    }
    return new GetData(body.array(), body.arrayOffset() + body.position(), body.remaining());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof GetData d
        && Arrays.equals(d.buffer, d.offset, d.offset + d.length, buffer, offset, offset + length);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(body());
  }

  @Override
  public String toString() {
    return "GetData[" + length + " bytes]";
  }
}
