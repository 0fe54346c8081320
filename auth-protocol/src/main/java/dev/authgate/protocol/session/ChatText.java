package dev.authgate.protocol.session;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The rule for a chat message's text (docs/PROTOCOL.md §5.4): 1 to {@link #MAX_BYTES} bytes of
 * UTF-8 without control characters other than tab, and without U+2028/U+2029. The server enforces
 * it; a client checks before sending, so a line it reports as sent is one the server accepts.
 */
public final class ChatText {
  /** The largest message, in bytes of UTF-8. */
  public static final int MAX_BYTES = 4096;

  private ChatText() {}

  /** What is wrong with {@code bytes} as a message, or null if nothing. */
  public static String problem(byte[] bytes) {
    if (bytes.length > MAX_BYTES) {
      return "message is " + bytes.length + " bytes; at most " + MAX_BYTES;
    }
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
    } catch (CharacterCodingException e) {
      return "message is not valid UTF-8";
    }
    if (text.isEmpty()) {
      return "message is empty";
    }
    if (text.codePoints().anyMatch(ChatText::isForbidden)) {
      return "message contains control characters (only tab is allowed)";
    }
    return null;
  }

  /** What is wrong with {@code text} as a message, or null if nothing. */
  public static String problem(String text) {
    // A lone surrogate has no UTF-8 form (getBytes would turn it into '?').
    if (text.codePoints()
        .anyMatch(c -> c >= Character.MIN_SURROGATE && c <= Character.MAX_SURROGATE)) {
      return "message is not valid UTF-8";
    }
    return problem(text.getBytes(StandardCharsets.UTF_8));
  }

  private static boolean isForbidden(int c) {
    return (c < 0x20 && c != '\t')
        || c == 0x7f
        || (c >= 0x80 && c < 0xa0)
        || c == 0x2028
        || c == 0x2029;
  }
}
