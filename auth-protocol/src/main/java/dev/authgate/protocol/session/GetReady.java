package dev.authgate.protocol.session;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import java.nio.ByteBuffer;

/**
 * Server to client: the file follows. {@code size u64 | mtime_ms u64 | offset u64}: the data
 * messages carry bytes {@code offset} to {@code size} of it; {@code offset} is the client's offset
 * when its prefix matched, else 0 (start over).
 *
 * @param size the file's size
 * @param modifiedMillis its modification time, in milliseconds since the epoch
 * @param offset where the data starts
 */
public record GetReady(long size, long modifiedMillis, long offset) implements SessionMessage {
  static final byte TYPE = 0x53;

  @Override
  public int type() {
    return TYPE;
  }

  @Override
  public byte[] body() {
    return ByteBuffer.allocate(24).putLong(size).putLong(modifiedMillis).putLong(offset).array();
  }

  static GetReady decode(BodyReader in) throws ProtocolException {
    GetReady ready = new GetReady(in.u64(), in.u64(), in.u64());
    in.end();
    if (ready.size < 0 || ready.offset < 0 || ready.offset > ready.size) {
      throw new ProtocolException(
          Reason.MALFORMED, "GET_READY offset " + ready.offset + " is outside 0.." + ready.size);
    }
    return ready;
  }
}
