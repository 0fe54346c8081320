package dev.authgate.client.upload;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;

/**
 * What a file looks like from outside: identity, size, modification and (where the file system
 * keeps one) change time. Compared before, during and after an upload, it tells a file being
 * rewritten from one at rest: the change time moves on every write and cannot be set back, so even
 * a writer that restores the modification time is seen.
 *
 * @param fileKey the file's identity (device and inode), or null where unknown
 * @param size its size in bytes
 * @param modifiedNanos its modification time, in nanoseconds since the epoch
 * @param changedNanos its change time (POSIX ctime) in nanoseconds, or -1 where unknown
 */
record SourceState(Object fileKey, long size, long modifiedNanos, long changedNanos) {
  /** The state of {@code file} now (following a symbolic link, as the upload does). */
  static SourceState of(Path file) throws IOException {
    BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
    long changed = -1;
    try {
      Map<String, Object> unix = Files.readAttributes(file, "unix:ctime");
      Object ctime = unix.get("ctime");
      if (ctime instanceof java.nio.file.attribute.FileTime t) {
        changed = nanos(t);
      }
    } catch (UnsupportedOperationException | IllegalArgumentException e) {
      // Not a POSIX file system: size and modification time must do.
    }
    return new SourceState(a.fileKey(), a.size(), nanos(a.lastModifiedTime()), changed);
  }

  private static long nanos(java.nio.file.attribute.FileTime t) {
    return t.to(java.util.concurrent.TimeUnit.NANOSECONDS);
  }
}
