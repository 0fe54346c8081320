package dev.authgate.protocol.session;

import dev.authgate.protocol.ProtocolException;
import java.util.Arrays;

/**
 * Client to server: the file is complete; {@code sha256[32]} of the whole file, computed while it
 * was read and sent. Always sent after {@link UploadReady}, even if the client stopped early
 * because the server reported an error, so both sides agree where the upload ends.
 *
 * @param sha256 the client's SHA-256 of the whole file
 */
public record UploadEnd(byte[] sha256) implements SessionMessage {
  static final byte TYPE = 0x23;

  @Override
  public int type() {
    return TYPE;
  }

  @Override
  public byte[] body() {
    return sha256.clone();
  }

  static UploadEnd decode(BodyReader in) throws ProtocolException {
    UploadEnd end = new UploadEnd(in.bytes(32));
    in.end();
    return end;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof UploadEnd e && Arrays.equals(e.sha256, sha256);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(sha256);
  }

  @Override
  public String toString() {
    return "UploadEnd[" + java.util.HexFormat.of().formatHex(sha256) + "]";
  }
}
