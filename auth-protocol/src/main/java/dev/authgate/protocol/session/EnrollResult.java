package dev.authgate.protocol.session;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Server to client: how an {@link Enroll} ended. {@code status u8 | id_len u8 | id | kid_len u8 |
 * kid | reason_len u8 | reason | text_len u16 | text}. Status {@code 0} enrolled, {@code 1} pending
 * an operator's approval (the credential works once approved), {@code 2} refused (reason says why;
 * nothing was stored).
 *
 * @param status what happened
 * @param clientId the client id the machine now has (empty if refused)
 * @param keyId its key id (empty if refused)
 * @param reason a stable reason when refused, e.g. {@code token-used}; empty otherwise
 * @param text a human-readable sentence
 */
public record EnrollResult(Status status, String clientId, String keyId, String reason, String text)
    implements SessionMessage {
  static final byte TYPE = 0x41;

  /** The outcome of an enrollment. */
  public enum Status {
    /** The machine may connect with its new credential now. */
    ENROLLED,
    /** The machine is known but waits for {@code keys approve}. */
    PENDING,
    /** Nothing was stored. */
    REFUSED
  }

  /** A refusal. */
  public static EnrollResult refused(String reason, String text) {
    return new EnrollResult(Status.REFUSED, "", "", reason, text);
  }

  @Override
  public int type() {
    return TYPE;
  }

  @Override
  public byte[] body() {
    byte[] id = clientId.getBytes(StandardCharsets.UTF_8);
    byte[] kid = keyId.getBytes(StandardCharsets.UTF_8);
    byte[] r = reason.getBytes(StandardCharsets.UTF_8);
    byte[] t = text.getBytes(StandardCharsets.UTF_8);
    int textLength = Math.min(t.length, 1024);
    return ByteBuffer.allocate(1 + 1 + id.length + 1 + kid.length + 1 + r.length + 2 + textLength)
        .put((byte) status.ordinal())
        .put((byte) id.length)
        .put(id)
        .put((byte) kid.length)
        .put(kid)
        .put((byte) r.length)
        .put(r)
        .putShort((short) textLength)
        .put(t, 0, textLength)
        .array();
  }

  static EnrollResult decode(BodyReader in) throws ProtocolException {
    int status = in.u8();
    if (status >= Status.values().length) {
      throw new ProtocolException(
          Reason.MALFORMED, "ENROLL_RESULT status " + status + " is unknown");
    }
    String id = in.utf8(in.u8());
    String kid = in.utf8(in.u8());
    String reason = in.utf8(in.u8());
    String text = in.utf8(in.u16());
    in.end();
    return new EnrollResult(Status.values()[status], id, kid, reason, text);
  }
}
