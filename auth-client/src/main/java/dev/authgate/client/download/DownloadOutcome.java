package dev.authgate.client.download;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;

/**
 * How one file's download ended.
 *
 * @param name the file's name on the server
 * @param status fetched, unchanged (the local copy already had its SHA-256) or refused
 * @param file where it is now (fetched or unchanged), or null
 * @param size the file's size
 * @param sha256 its SHA-256 (zeros if refused)
 * @param reason why not, when refused ({@code not-found}, {@code changed}, …); else empty
 * @param text the explanation
 * @param resumedFrom the offset the data continued from
 * @param elapsed time from GET to the end
 */
public record DownloadOutcome(
    String name,
    Status status,
    Path file,
    long size,
    byte[] sha256,
    String reason,
    String text,
    long resumedFrom,
    Duration elapsed) {

  /** How a download ended. */
  public enum Status {
    /** Verified and in place. */
    FETCHED,
    /** The local copy is the same file; nothing was transferred. */
    UNCHANGED,
    /** Not fetched; nothing changed locally under the file's name. */
    REFUSED
  }

  /** Whether the file is in place (fetched now, or already the same). */
  public boolean ok() {
    return status != Status.REFUSED;
  }

  /** One line for people and scripts. */
  public String describe() {
    String hex = HexFormat.of().formatHex(sha256);
    return switch (status) {
      case REFUSED -> "refused " + name + ": " + text + " [" + reason + "]";
      case UNCHANGED -> "unchanged " + name + ": " + size + " bytes, sha256 " + hex;
      case FETCHED -> {
        double seconds = Math.max(elapsed.toNanos() / 1e9, 1e-9);
        double mib = (size - resumedFrom) / (1024.0 * 1024.0);
        yield String.format(
            Locale.ROOT,
            "fetched %s: %d bytes%s, sha256 %s, %.2f s (%.1f MiB/s)",
            name,
            size,
            resumedFrom > 0 ? " (resumed from " + resumedFrom + ")" : "",
            hex,
            seconds,
            mib / seconds);
      }
    };
  }
}
