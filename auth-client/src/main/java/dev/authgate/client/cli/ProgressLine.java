package dev.authgate.client.cli;

import dev.authgate.protocol.text.TerminalText;
import java.time.Duration;
import java.util.Locale;

/**
 * One progress line that always fits its terminal: {@code name 42% [=====> ] 120.5/286.1 MiB 98.2
 * MiB/s ETA 0:02}. As the width shrinks it drops, in this order, the ETA, the sizes, the bar, then
 * the rate, and shortens the name; the percentage stays to the last. Never longer than {@code width
 * - 1}, so no terminal wraps it. Stateless.
 */
final class ProgressLine {
  private static final double MIB = 1 << 20;

  /** Below this many columns a bar says nothing a percentage does not. */
  private static final int SMALLEST_BAR = 10;

  private static final int LONGEST_BAR = 40;
  private static final int SHORTEST_NAME = 16;
  private static final int LONGEST_NAME = 30;

  private ProgressLine() {}

  /**
   * @param name the file name (escaped here)
   * @param done bytes the server has of the file
   * @param size the file's size
   * @param sentHere bytes sent in this run (a resumed upload starts above zero)
   * @param elapsed time this run has been sending
   * @param width the most characters the line may have: the terminal's columns less one, so the
   *     cursor never reaches the last column and wraps (the progress bar library passes that); 0 or
   *     less when unknown (79 is assumed)
   */
  static String render(
      String name, long done, long size, long sentHere, Duration elapsed, int width) {
    int columns = width <= 0 ? 79 : width;
    double fraction = size <= 0 ? 1.0 : Math.min(1.0, (double) done / size);
    String percent = String.format(Locale.ROOT, "%3d%%", (int) (fraction * 100));
    double seconds = elapsed.toNanos() / 1e9;
    double rate = seconds > 0.05 ? sentHere / seconds : 0;
    String speed = rate > 0 ? String.format(Locale.ROOT, "%.1f MiB/s", rate / MIB) : "";
    String sizes = String.format(Locale.ROOT, "%.1f/%.1f MiB", done / MIB, size / MIB);
    String eta = rate > 0 && done < size ? "ETA " + clock((long) ((size - done) / rate)) : "";
    String label = TerminalText.escape(name.replace('\t', ' '));

    // Try the richest layout first; drop parts until one fits.
    String[][] layouts = {
      {percent, "BAR", sizes, speed, eta},
      {percent, "BAR", sizes, speed},
      {percent, "BAR", speed},
      {percent, speed},
      {percent},
    };
    for (String[] parts : layouts) {
      String line = layout(label, parts, fraction, columns);
      if (line != null) {
        return line;
      }
    }
    return percent.strip().length() <= columns ? percent.strip() : "";
  }

  /** The line with these parts, or null if it cannot fit with a readable name (and bar). */
  private static String layout(String label, String[] parts, double fraction, int columns) {
    StringBuilder tail = new StringBuilder();
    boolean withBar = false;
    for (String part : parts) {
      if (part.equals("BAR")) {
        withBar = true;
      }
      if (!part.isEmpty()) {
        tail.append(' ').append(part);
      }
    }
    int fixed = tail.length() - (withBar ? "BAR".length() : 0);
    int shortest = Math.min(label.length(), SHORTEST_NAME);
    int nameColumns = Math.min(label.length(), LONGEST_NAME);
    if (!withBar) {
      nameColumns = Math.min(nameColumns, columns - fixed);
      return nameColumns < shortest ? null : shorten(label, nameColumns) + tail;
    }
    // The bar (and its two brackets) takes what the name leaves, the name giving way first.
    int barWidth = columns - fixed - nameColumns - 2;
    if (barWidth < SMALLEST_BAR) {
      nameColumns = Math.max(shortest, nameColumns - (SMALLEST_BAR - barWidth));
      barWidth = columns - fixed - nameColumns - 2;
    }
    if (barWidth < SMALLEST_BAR) {
      return null;
    }
    String bar = bar(fraction, Math.min(barWidth, LONGEST_BAR));
    return shorten(label, nameColumns) + tail.toString().replace(" BAR", " " + bar);
  }

  private static String bar(double fraction, int width) {
    int full = (int) (fraction * width);
    StringBuilder bar = new StringBuilder(width + 2).append('[');
    for (int i = 0; i < width; i++) {
      bar.append(i < full ? '=' : i == full ? '>' : ' ');
    }
    return bar.append(']').toString();
  }

  /** The name cut to {@code length} columns with "..." at the end when it had to be cut. */
  private static String shorten(String label, int length) {
    if (label.length() <= length) {
      return label;
    }
    return length <= 3 ? label.substring(0, length) : label.substring(0, length - 3) + "...";
  }

  private static String clock(long seconds) {
    return seconds >= 3600
        ? String.format(
            Locale.ROOT, "%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60)
        : String.format(Locale.ROOT, "%d:%02d", seconds / 60, seconds % 60);
  }
}
