package dev.authgate.protocol.keyfile;

import java.util.regex.Pattern;

/** The syntax of client ids and key ids: {@code [A-Za-z0-9._-]{1,64}}. Stateless. */
public final class ClientIds {
  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  /** The rule, for messages. */
  public static final String RULE = "1 to 64 characters from A-Z a-z 0-9 . _ -";

  private ClientIds() {}

  /** Whether {@code id} is a valid client id or key id. */
  public static boolean isValid(String id) {
    return id != null && VALID.matcher(id).matches();
  }

  /**
   * Returns {@code id} if valid.
   *
   * @throws IllegalArgumentException naming the rule, if not
   */
  public static String requireValid(String id, String what) {
    if (!isValid(id)) {
      throw new IllegalArgumentException(
          "invalid " + what + " '" + printable(id) + "': use " + RULE);
    }
    return id;
  }

  /** {@code id} with control characters escaped and cut to 64 characters, for messages. */
  public static String printable(String id) {
    if (id == null) {
      return "";
    }
    StringBuilder out = new StringBuilder();
    id.codePoints()
        .limit(64)
        .forEach(
            c -> {
              if (c < 0x20 || c == 0x7f) {
                out.append(String.format("\\x%02x", c));
              } else {
                out.appendCodePoint(c);
              }
            });
    return id.codePointCount(0, id.length()) > 64 ? out + "..." : out.toString();
  }
}
