package dev.authgate.client.upload;

import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;

/**
 * How one file's upload ended.
 *
 * @param name the name on the server
 * @param stored whether the server stored it
 * @param size the file's size
 * @param sha256 the SHA-256 both sides agreed on, if stored
 * @param reason the server's reason token if refused (e.g. {@code exists}), else empty
 * @param text the server's explanation
 * @param resumedFrom the offset the upload continued from (0 if from the start)
 * @param elapsed time from BEGIN to the result
 */
public record UploadOutcome(
    String name,
    boolean stored,
    long size,
    byte[] sha256,
    String reason,
    String text,
    long resumedFrom,
    Duration elapsed) {

  /** One line for people and scripts: {@code stored NAME: ...} or {@code refused NAME: ...}. */
  public String describe() {
    if (!stored) {
      return "refused " + name + ": " + text + " [" + reason + "]";
    }
    double seconds = Math.max(elapsed.toNanos() / 1e9, 1e-9);
    double mib = (size - resumedFrom) / (1024.0 * 1024.0);
    return String.format(
        Locale.ROOT,
        "stored %s: %d bytes%s, sha256 %s, %.2f s (%.1f MiB/s)",
        name,
        size,
        resumedFrom > 0 ? " (resumed from " + resumedFrom + ")" : "",
        HexFormat.of().formatHex(sha256),
        seconds,
        mib / seconds);
  }
}
