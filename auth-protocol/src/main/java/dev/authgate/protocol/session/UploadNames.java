package dev.authgate.protocol.session;

import dev.authgate.protocol.text.TerminalText;
import java.nio.charset.StandardCharsets;

/**
 * The rule for upload names: exactly one safe path component. Stateless; both the client (to fail
 * early) and the server (to decide) apply it.
 */
public final class UploadNames {
  /** The rule, for messages. */
  public static final String RULE =
      "a name must be one path component: not empty, '.' or '..', no '/' or '\\', no NUL, control,"
          + " bidirectional-control or line-separator characters, at most 255 bytes of UTF-8, not starting with '.authgate-'";

  /** A prefix the server reserves for its own partial files. */
  public static final String RESERVED_PREFIX = ".authgate-";

  private UploadNames() {}

  /** Why {@code name} is not acceptable, or null if it is. */
  public static String problem(String name) {
    if (name.isEmpty()) {
      return "the name is empty";
    }
    if (name.equals(".") || name.equals("..")) {
      return "'" + name + "' is not a file name";
    }
    if (name.startsWith(RESERVED_PREFIX)) {
      return "names starting with '" + RESERVED_PREFIX + "' are reserved by the server";
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c == '/' || c == '\\') {
        return "the name contains '" + c + "'";
      }
    }
    if (TerminalText.hasUnsafe(name)) {
      return "the name contains a control character (C0, C1, a bidirectional control or a line"
          + " separator)";
    }
    if (name.getBytes(StandardCharsets.UTF_8).length > 255) {
      return "the name is longer than 255 bytes";
    }
    return null;
  }
}
