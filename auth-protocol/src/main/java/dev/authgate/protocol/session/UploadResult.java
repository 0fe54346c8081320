package dev.authgate.protocol.session;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
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
    return new OutcomeLayout(stored ? 1 : 0, size, sha256, reason, text).encode();
  }

  static UploadResult decode(BodyReader in) throws ProtocolException {
    OutcomeLayout body = OutcomeLayout.decode(in);
    if (body.status() > 1) {
      // A boolean is 0 or 1; anything else is malformed (found by the session-message fuzzer).
      throw new ProtocolException(
          Reason.MALFORMED, "UPLOAD_RESULT stored is " + body.status() + ", not 0 or 1");
    }
    return new UploadResult(
        body.status() == 1, body.size(), body.sha256(), body.reason(), body.text());
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
