package dev.authgate.protocol.session;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Client to server: the next bytes of the file being uploaded; the body is the bytes themselves, 1
 * to {@link #MAX_BYTES} of them.
 *
 * @param bytes the chunk; the array is owned by the message
 */
public record UploadData(byte[] bytes) implements SessionMessage {
  static final byte TYPE = 0x22;

  /** Largest chunk: the session frame cap less the inner type byte and the tag. */
  public static final int MAX_BYTES = 1 << 20;

  @Override
  public int type() {
    return TYPE;
  }

  @Override
  public byte[] body() {
    return bytes;
  }

  static UploadData decode(ByteBuffer body) throws ProtocolException {
    if (body.remaining() == 0) {
      throw new ProtocolException(Reason.MALFORMED, "UPLOAD_DATA is empty");
    }
    byte[] bytes = new byte[body.remaining()];
    body.get(bytes);
    return new UploadData(bytes);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof UploadData d && Arrays.equals(d.bytes, bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    return "UploadData[" + bytes.length + " bytes]";
  }
}
