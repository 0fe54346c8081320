package dev.authgate.protocol.session;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Client to server: start sending one file. {@code flags u8 | size u64 | name_len u16 | name}. The
 * server answers {@link UploadReady} or, if it refuses the file, {@link UploadResult}.
 *
 * @param name the file name: one safe path component (see {@link UploadNames})
 * @param size the exact number of bytes the file has
 * @param overwrite whether an existing file of that name may be replaced
 * @param resume whether to continue a partial upload of that name, if the server kept one
 */
public record UploadBegin(String name, long size, boolean overwrite, boolean resume)
    implements SessionMessage {
  static final byte TYPE = 0x20;
  private static final int OVERWRITE = 1;
  private static final int RESUME = 2;

  @Override
  public int type() {
    return TYPE;
  }

  @Override
  public byte[] body() {
    byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(1 + 8 + 2 + utf8.length)
        .put((byte) ((overwrite ? OVERWRITE : 0) | (resume ? RESUME : 0)))
        .putLong(size)
        .putShort((short) utf8.length)
        .put(utf8)
        .array();
  }

  static UploadBegin decode(BodyReader in) throws ProtocolException {
    int flags = in.u8();
    if ((flags & ~(OVERWRITE | RESUME)) != 0) {
      // Strict, like every other field: a bit this version does not define is an error, not a
      // silent no-op (found by the session-message fuzzer: it did not survive a round trip).
      throw new ProtocolException(
          Reason.MALFORMED, String.format("UPLOAD_BEGIN sets reserved flag bits 0x%02x", flags));
    }
    long size = in.u64();
    String name = in.utf8(in.u16());
    in.end();
    return new UploadBegin(name, size, (flags & OVERWRITE) != 0, (flags & RESUME) != 0);
  }
}
