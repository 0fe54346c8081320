package dev.authgate.protocol.keyfile;

import dev.authgate.protocol.text.TerminalText;
import java.util.regex.Pattern;

/**
 * The syntax of client ids, key ids and chat room names: {@code [A-Za-z0-9_][A-Za-z0-9._-]{0,63}} —
 * no leading dot, so never {@code .} or {@code ..} and never a hidden file when an id names a
 * directory. Stateless.
 */
public final class ClientIds {
  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,63}");

  /** The rule, for messages. */
  public static final String RULE =
      "1 to 64 characters from A-Z a-z 0-9 . _ -, not starting with '.' or '-'";

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

  /** {@code id} with unsafe characters escaped and cut to 64 characters, for messages. */
  public static String printable(String id) {
    if (id == null) {
      return "";
    }
    boolean cut = id.codePointCount(0, id.length()) > 64;
    String head = cut ? id.substring(0, id.offsetByCodePoints(0, 64)) : id;
    return TerminalText.escape(head) + (cut ? "..." : "");
  }
}
