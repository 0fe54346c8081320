package dev.authgate.protocol.session;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Server to client: the answer to {@link ListFiles} when the server cannot say what is published.
 * {@code reason_len u8 | reason | text_len u16 | text} (text cut at 4 096 bytes). It replaces the
 * whole answer: no {@link FileListing} comes before or after it, and the session goes on.
 *
 * @param reason a machine-readable reason: {@code storage-error} (the server could not read its
 *     published directory or a file in it; its audit log says why)
 * @param text a human-readable explanation; names nothing on the server's disk
 */
public record ListRefused(String reason, String text) implements SessionMessage {
  static final byte TYPE = 0x56;

  private static final int LONGEST_TEXT = 4096;

  /** Checks the fields fit the layout. */
  public ListRefused {
    if (reason.isEmpty() || reason.getBytes(StandardCharsets.UTF_8).length > 255) {
      throw new IllegalArgumentException("a reason is 1 to 255 bytes");
    }
  }

  @Override
  public int type() {
    return TYPE;
  }

  @Override
  public byte[] body() {
    byte[] r = reason.getBytes(StandardCharsets.UTF_8);
    byte[] t = text.getBytes(StandardCharsets.UTF_8);
    int textLength = Math.min(t.length, LONGEST_TEXT);
    return ByteBuffer.allocate(1 + r.length + 2 + textLength)
        .put((byte) r.length)
        .put(r)
        .putShort((short) textLength)
        .put(t, 0, textLength)
        .array();
  }

  static ListRefused decode(BodyReader in) throws ProtocolException {
    String reason = in.utf8(in.u8());
    int textLength = in.u16();
    if (textLength > LONGEST_TEXT) {
      throw new ProtocolException(
          Reason.MALFORMED,
          "LIST_REFUSED text is " + textLength + " bytes; at most " + LONGEST_TEXT);
    }
    String text = in.utf8(textLength);
    in.end();
    if (reason.isEmpty()) {
      throw new ProtocolException(Reason.MALFORMED, "LIST_REFUSED has no reason");
    }
    return new ListRefused(reason, text);
  }
}
