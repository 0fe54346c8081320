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

  private static final String[] UNITS = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

  private Sizes() {}

  /**
   * {@code bytes} as a person reads it: {@code 512 bytes}, {@code 50 MiB} for an exact multiple,
   * {@code 1.5 GiB} otherwise (one decimal, powers of 1024).
   */
  public static String human(long bytes) {
    if (bytes < 1024) {
      return bytes + (bytes == 1 ? " byte" : " bytes");
    }
    int unit = 0;
    while (unit < UNITS.length - 1 && bytes >= 1L << (10 * (unit + 2))) {
      unit++;
    }
    long size = 1L << (10 * (unit + 1));
    if (bytes % size == 0) {
      return bytes / size + " " + UNITS[unit];
    }
    return String.format(Locale.ROOT, "%.1f %s", (double) bytes / size, UNITS[unit]);
  }

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
