package dev.authgate.protocol.session;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Server to client: how one upload ended. Exactly one per {@link UploadBegin}. {@code stored u8 |
 * size u64 | sha256[32] | reason_len u8 | reason | text_len u16 | text}.
 *
 * @param stored whether the file is now in place
 * @param size the stored size, or the bytes received when not stored
 * @param sha256 the server's SHA-256 of what it stored (zeros if nothing)
 * @param reason a stable machine-readable reason when not stored (e.g. {@code exists}); empty if
 *     stored
 * @param text a human-readable explanation
 */
public record UploadResult(boolean stored, long size, byte[] sha256, String reason, String text)
    implements SessionMessage {
  static final byte TYPE = 0x24;

  /** A refusal with no bytes stored. */
  public static UploadResult refused(String reason, String text) {
    return new UploadResult(false, 0, new byte[32], reason, text);
  }

  @Override
  public int type() {
    return TYPE;
  }

  @Override
  public byte[] body() {
    byte[] r = reason.getBytes(StandardCharsets.UTF_8);
    byte[] t = text.getBytes(StandardCharsets.UTF_8);
    int textLength = Math.min(t.length, 4096);
    return ByteBuffer.allocate(1 + 8 + 32 + 1 + r.length + 2 + textLength)
        .put((byte) (stored ? 1 : 0))
        .putLong(size)
        .put(sha256)
        .put((byte) r.length)
        .put(r)
        .putShort((short) textLength)
        .put(t, 0, textLength)
        .array();
  }

  static UploadResult decode(BodyReader in) throws ProtocolException {
    int flag = in.u8();
    if (flag > 1) {
      // A boolean is 0 or 1; anything else is malformed (found by the session-message fuzzer).
      throw new ProtocolException(
          Reason.MALFORMED, "UPLOAD_RESULT stored is " + flag + ", not 0 or 1");
    }
    boolean stored = flag == 1;
    long size = in.u64();
    byte[] sha256 = in.bytes(32);
    String reason = in.utf8(in.u8());
    String text = in.utf8(in.u16());
    in.end();
    return new UploadResult(stored, size, sha256, reason, text);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof UploadResult u
        && u.stored == stored
        && u.size == size
        && Arrays.equals(u.sha256, sha256)
        && u.reason.equals(reason)
        && u.text.equals(text);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(sha256) * 31 + reason.hashCode();
  }
}
