package dev.authgate.server.audit;

/**
 * When the audit log is rotated and how much is kept. Immutable.
 *
 * @param maxBytes rotate before a write would take the live file past this size (0: never by size)
 * @param maxFiles rotated files kept; the oldest beyond this are deleted
 * @param daily also rotate when the UTC date changes
 * @param compress gzip rotated files (in the background, never under the write lock)
 */
public record AuditRotation(long maxBytes, int maxFiles, boolean daily, boolean compress) {
  /** Validates the limits. */
  public AuditRotation {
    if (maxBytes < 0 || maxFiles < 1) {
      throw new IllegalArgumentException("audit rotation needs maxBytes >= 0 and maxFiles >= 1");
    }
  }

  /** 100 MiB or daily, 30 files kept, compressed. */
  public static AuditRotation defaults() {
    return new AuditRotation(100L << 20, 30, true, true);
  }

  /** Never rotate (the log grows until something else rotates it). */
  public static AuditRotation never() {
    return new AuditRotation(0, Integer.MAX_VALUE, false, false);
  }
}
