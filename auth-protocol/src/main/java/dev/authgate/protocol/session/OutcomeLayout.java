package dev.authgate.protocol.session;

import dev.authgate.protocol.ProtocolException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The layout UPLOAD_RESULT and GET_END share: {@code status u8 | size u64 | sha256[32] | reason_len
 * u8 | reason | text_len u16 | text} (text cut at 4 096 bytes).
 *
 * @param status the first byte (what it means is the message's)
 * @param size a size in bytes
 * @param sha256 a SHA-256
 * @param reason a machine-readable reason, or empty
 * @param text a human-readable explanation
 */
record OutcomeLayout(int status, long size, byte[] sha256, String reason, String text) {
  private static final int LONGEST_TEXT = 4096;

  byte[] encode() {
    byte[] r = reason.getBytes(StandardCharsets.UTF_8);
    byte[] t = text.getBytes(StandardCharsets.UTF_8);
    int textLength = Math.min(t.length, LONGEST_TEXT);
    return ByteBuffer.allocate(1 + 8 + 32 + 1 + r.length + 2 + textLength)
        .put((byte) status)
        .putLong(size)
        .put(sha256)
        .put((byte) r.length)
        .put(r)
        .putShort((short) textLength)
        .put(t, 0, textLength)
        .array();
  }

  static OutcomeLayout decode(BodyReader in) throws ProtocolException {
    int status = in.u8();
    long size = in.u64();
    byte[] sha256 = in.bytes(32);
    String reason = in.utf8(in.u8());
    String text = in.utf8(in.u16());
    in.end();
    return new OutcomeLayout(status, size, sha256, reason, text);
  }
}
