package dev.authgate.protocol.text;

/**
 * The one escaping rule for text a peer chose (a claimed client id, a room, a server's message)
 * before it reaches a person: every character that could move the cursor, change the terminal's
 * state, start a new line or reorder what is shown is replaced by a visible {@code \\uXXXX} escape.
 *
 * <p>Unsafe are: C0 controls (U+0000–U+001F, including ESC, CR, LF, BEL and tab), DEL (U+007F), C1
 * controls (U+0080–U+009F, which some terminals obey as CSI and OSC), the line and paragraph
 * separators U+2028/U+2029, the bidirectional controls (U+061C, U+200E, U+200F, U+202A–U+202E,
 * U+2066–U+2069), every other format character (Unicode category Cf: the zero-width space U+200B
 * and joiners, the byte order mark U+FEFF, the soft hyphen U+00AD …, which make {@code sensor-1}
 * and {@code sensor-1\u200b} look alike) and lone surrogates. Everything else, including
 * backslashes and non-Latin text, is shown as it is. Stateless and thread-safe.
 */
public final class TerminalText {
  private TerminalText() {}

  /** Whether {@code codePoint} must never reach a terminal raw. */
  public static boolean isUnsafe(int codePoint) {
    return codePoint < 0x20
        || (codePoint >= 0x7f && codePoint < 0xa0)
        || codePoint == 0x2028
        || codePoint == 0x2029
        || isBidiControl(codePoint)
        || Character.getType(codePoint) == Character.FORMAT
        || (codePoint >= Character.MIN_SURROGATE && codePoint <= Character.MAX_SURROGATE);
  }

  /** Whether {@code codePoint} is one of the Unicode bidirectional formatting controls. */
  public static boolean isBidiControl(int codePoint) {
    return codePoint == 0x061c
        || codePoint == 0x200e
        || codePoint == 0x200f
        || (codePoint >= 0x202a && codePoint <= 0x202e)
        || (codePoint >= 0x2066 && codePoint <= 0x2069);
  }

  /** Whether {@code text} holds any unsafe character. */
  public static boolean hasUnsafe(String text) {
    return text.codePoints().anyMatch(TerminalText::isUnsafe);
  }

  /**
   * {@code text} with every unsafe character replaced by {@code \\uXXXX}; null becomes {@code
   * "null"}.
   */
  public static String escape(String text) {
    if (text == null) {
      return "null";
    }
    if (!hasUnsafe(text)) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length() + 16);
    text.codePoints()
        .forEach(
            c -> {
              if (isUnsafe(c)) {
                out.append(String.format("\\u%04x", c));
              } else {
                out.appendCodePoint(c);
              }
            });
    return out.toString();
  }
}
