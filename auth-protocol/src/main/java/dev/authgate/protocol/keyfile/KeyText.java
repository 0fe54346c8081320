package dev.authgate.protocol.keyfile;

import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The shared text layout of key files: one {@code name value} pair per line, {@code #} comments and
 * blank lines ignored. Error messages name the file and line, never a value.
 */
final class KeyText {
  /** One meaningful line. */
  record Line(int number, String name, String value) {}

  private KeyText() {}

  static List<Line> parse(Path file, String text) throws KeyFileException {
    List<Line> lines = new ArrayList<>();
    String[] raw = text.split("\n", -1);
    for (int i = 0; i < raw.length; i++) {
      String line = raw[i].strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int space = line.indexOf(' ');
      if (space < 0) {
        throw error(file, i + 1, "expected 'name value'");
      }
      lines.add(new Line(i + 1, line.substring(0, space), line.substring(space + 1).strip()));
    }
    return lines;
  }

  static void requireHeader(Path file, List<Line> lines, String magic) throws KeyFileException {
    if (lines.isEmpty()
        || !lines.get(0).name().equals(magic)
        || !lines.get(0).value().equals("1")) {
      throw new KeyFileException(
          file, file + " is not an authgate file: its first line must be '" + magic + " 1'");
    }
  }

  static byte[] key32(Path file, Line line) throws KeyFileException {
    return key32(file, line.number(), line.name(), line.value());
  }

  static byte[] key32(Path file, int lineNumber, String name, String base64)
      throws KeyFileException {
    byte[] key;
    try {
      key = Base64.getDecoder().decode(base64);
    } catch (IllegalArgumentException e) {
      throw error(file, lineNumber, name + " is not valid base64");
    }
    if (key.length != 32) {
      throw error(file, lineNumber, name + " must be 32 bytes, found " + key.length);
    }
    return key;
  }

  static String id(Path file, Line line) throws KeyFileException {
    if (!ClientIds.isValid(line.value())) {
      throw error(file, line.number(), line.name() + " must be " + ClientIds.RULE);
    }
    return line.value();
  }

  /** The line's value, which must match {@code pattern}: "NAME must be {@code what}" if not. */
  static String matching(Path file, Line line, String pattern, String what)
      throws KeyFileException {
    if (!line.value().matches(pattern)) {
      throw error(file, line.number(), line.name() + " must be " + what);
    }
    return line.value();
  }

  /** The line's value as an ISO-8601 instant. */
  static Instant instant(Path file, Line line) throws KeyFileException {
    try {
      return Instant.parse(line.value());
    } catch (DateTimeParseException e) {
      throw error(file, line.number(), line.name() + " is not an ISO-8601 instant");
    }
  }

  static KeyFileException error(Path file, int line, String what) {
    return new KeyFileException(file, file + ":" + line + ": " + what);
  }

  static String base64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }
}
