package dev.authgate.protocol.text;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte sizes as operators write them: {@code 1048576}, {@code 512K}, {@code 100M}, {@code 10G},
 * {@code 1T} (powers of 1024; a trailing {@code B} or {@code iB} is allowed).
 */
public final class Sizes {
  private static final Pattern SIZE = Pattern.compile("(\\d{1,15})([kmgt]?)(i?b)?");

  private Sizes() {}

  /**
   * Parses {@code value}.
   *
   * @throws IllegalArgumentException naming the value and the accepted forms
   */
  public static long parse(String value) {
    Matcher m = SIZE.matcher(value.trim().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "'" + value + "' is not a size; use e.g. 1048576, 512K, 100M, 10G");
    }
    int shift =
        switch (m.group(2)) {
          case "k" -> 10;
          case "m" -> 20;
          case "g" -> 30;
          case "t" -> 40;
          default -> 0;
        };
    long n = Long.parseLong(m.group(1));
    if (n > (Long.MAX_VALUE >> shift)) {
      throw new IllegalArgumentException(
          "'" + value + "' is too large a size; the largest is " + Long.MAX_VALUE + " bytes");
    }
    return n << shift;
  }
}
