package dev.authgate.protocol.session;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import java.util.Arrays;

/**
 * Server to client: how one GET ended; exactly one per {@link GetFile}. {@code status u8 | size u64
 * | sha256[32] | reason_len u8 | reason | text_len u16 | text}.
 *
 * @param status {@link Status#SENT}: the whole file was sent, {@code sha256} is the SHA-256 of all
 *     of it (the client checks its copy against it); {@link Status#UNCHANGED}: the client's copy
 *     has the file's hash, nothing was sent; {@link Status#REFUSED}: not sent, {@code reason} says
 *     why (a refusal may follow some data, e.g. {@code changed})
 * @param size the file's size (0 if refused before GET_READY)
 * @param sha256 the file's SHA-256, or zeros when refused
 * @param reason {@code not-found}, {@code bad-name}, {@code not-permitted}, {@code changed} or
 *     {@code storage-error} when refused; empty otherwise
 * @param text a human-readable explanation
 */
public record GetEnd(Status status, long size, byte[] sha256, String reason, String text)
    implements SessionMessage {
  static final byte TYPE = 0x55;

  /** How a GET ended. */
  public enum Status {
    /** The whole file was sent. */
    SENT,
    /** The client's copy is the same file; nothing was sent. */
    UNCHANGED,
    /** Not sent; see the reason. */
    REFUSED
  }

  /** A refusal. */
  public static GetEnd refused(String reason, String text) {
    return new GetEnd(Status.REFUSED, 0, new byte[32], reason, text);
  }

  @Override
  public int type() {
    return TYPE;
  }

  @Override
  public byte[] body() {
    return new OutcomeLayout(status.ordinal(), size, sha256, reason, text).encode();
  }

  static GetEnd decode(BodyReader in) throws ProtocolException {
    OutcomeLayout body = OutcomeLayout.decode(in);
    if (body.status() >= Status.values().length) {
      throw new ProtocolException(
          Reason.MALFORMED, "GET_END status " + body.status() + " is unknown");
    }
    return new GetEnd(
        Status.values()[body.status()], body.size(), body.sha256(), body.reason(), body.text());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof GetEnd e
        && e.status == status
        && e.size == size
        && Arrays.equals(e.sha256, sha256)
        && e.reason.equals(reason)
        && e.text.equals(text);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(sha256) * 31 + reason.hashCode();
  }
}
