package dev.authgate.protocol.session;

import dev.authgate.protocol.ProtocolException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Server to client: send the file from {@code offset}. {@code offset u64 | prefix_sha256[32]}. For
 * a fresh upload the offset is 0; for a resumed one it is the length of the verified prefix the
 * server kept, and {@code prefixSha256} is that prefix's SHA-256, which the client checks against
 * its own file before continuing.
 *
 * @param offset where to continue
 * @param prefixSha256 SHA-256 of the first {@code offset} bytes on the server
 */
public record UploadReady(long offset, byte[] prefixSha256) implements SessionMessage {
  static final byte TYPE = 0x21;

  @Override
  public int type() {
    return TYPE;
  }

  @Override
  public byte[] body() {
    return ByteBuffer.allocate(8 + 32).putLong(offset).put(prefixSha256).array();
  }

  static UploadReady decode(BodyReader in) throws ProtocolException {
    UploadReady ready = new UploadReady(in.u64(), in.bytes(32));
    in.end();
    return ready;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof UploadReady r
        && r.offset == offset
        && Arrays.equals(r.prefixSha256, prefixSha256);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(offset) * 31 + Arrays.hashCode(prefixSha256);
  }

  @Override
  public String toString() {
    return "UploadReady[offset=" + offset + "]";
  }
}
