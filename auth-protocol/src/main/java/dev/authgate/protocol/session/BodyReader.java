package dev.authgate.protocol.session;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Reads the fields of a message body with bounds checks: anything short, long or not UTF-8 is a
 * {@link Reason#MALFORMED} {@link ProtocolException} naming the message. Not thread-safe.
 */
final class BodyReader {
  private final ByteBuffer body;
  private final String what;

  BodyReader(ByteBuffer body, String what) {
    this.body = body;
    this.what = what;
  }

  int u8() throws ProtocolException {
    need(1);
    return body.get() & 0xff;
  }

  int u16() throws ProtocolException {
    need(2);
    return body.getShort() & 0xffff;
  }

  long u64() throws ProtocolException {
    need(8);
    return body.getLong();
  }

  byte[] bytes(int length) throws ProtocolException {
    need(length);
    byte[] out = new byte[length];
    body.get(out);
    return out;
  }

  /** Strict UTF-8: malformed input is refused, not replaced. */
  String utf8(int length) throws ProtocolException {
    byte[] raw = bytes(length);
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(raw))
          .toString();
    } catch (CharacterCodingException e) {
      throw new ProtocolException(Reason.MALFORMED, what + " text is not valid UTF-8");
    }
  }

  void end() throws ProtocolException {
    if (body.hasRemaining()) {
      throw new ProtocolException(
          Reason.MALFORMED, what + " has " + body.remaining() + " unexpected trailing bytes");
    }
  }

  private void need(int n) throws ProtocolException {
    if (body.remaining() < n) {
      throw new ProtocolException(Reason.MALFORMED, what + " body is too short");
    }
  }
}
