package dev.authgate.protocol.session;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Server to client: how a {@link RotateKey} ended. {@code status u8 | kid_len u8 | kid | reason_len
 * u8 | reason | text_len u16 | text}. Status {@code 0} stored (the new key id; the old key works
 * until the new one is first used), {@code 1} refused (nothing stored; the old key works as
 * before).
 *
 * @param stored whether the new key was stored
 * @param keyId the new key's id (empty if refused)
 * @param reason a stable reason when refused, e.g. {@code storage-error}; empty otherwise
 * @param text a human-readable sentence
 */
public record RotateResult(boolean stored, String keyId, String reason, String text)
    implements SessionMessage {
  static final byte TYPE = 0x71;

  /** A refusal. */
  public static RotateResult refused(String reason, String text) {
    return new RotateResult(false, "", reason, text);
  }

  @Override
  public int type() {
    return TYPE;
  }

  @Override
  public byte[] body() {
    byte[] kid = keyId.getBytes(StandardCharsets.UTF_8);
    byte[] r = reason.getBytes(StandardCharsets.UTF_8);
    byte[] t = text.getBytes(StandardCharsets.UTF_8);
    int textLength = Math.min(t.length, 1024);
    return ByteBuffer.allocate(1 + 1 + kid.length + 1 + r.length + 2 + textLength)
        .put((byte) (stored ? 0 : 1))
        .put((byte) kid.length)
        .put(kid)
        .put((byte) r.length)
        .put(r)
        .putShort((short) textLength)
        .put(t, 0, textLength)
        .array();
  }

  static RotateResult decode(BodyReader in) throws ProtocolException {
    int status = in.u8();
    if (status > 1) {
      throw new ProtocolException(
          Reason.MALFORMED, "ROTATE_RESULT status " + status + " is unknown");
    }
    String kid = in.utf8(in.u8());
    String reason = in.utf8(in.u8());
    String text = in.utf8(in.u16());
    in.end();
    if ((status == 0) == kid.isEmpty()) {
      throw new ProtocolException(
          Reason.MALFORMED, "ROTATE_RESULT names a key id if and only if it stored one");
    }
    return new RotateResult(status == 0, kid, reason, text);
  }
}
