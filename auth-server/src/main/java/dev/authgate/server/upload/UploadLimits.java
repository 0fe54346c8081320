package dev.authgate.server.upload;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Where uploads go and how much a client may store. Immutable.
 *
 * @param root the uploads directory; each client gets a subdirectory named by its id
 * @param maxFileSize the largest single file accepted, in bytes
 * @param quotaPerClient the most bytes one client may have stored (files and kept partials)
 * @param partialKeep how long an interrupted upload's verified prefix is kept for resuming
 */
public record UploadLimits(Path root, long maxFileSize, long quotaPerClient, Duration partialKeep) {
  /** Default largest file: 10 GiB. */
  public static final long DEFAULT_MAX_FILE_SIZE = 10L << 30;

  /** Default quota: 50 GiB per client. */
  public static final long DEFAULT_QUOTA = 50L << 30;

  /** Default time a partial upload is kept: 24 hours. */
  public static final Duration DEFAULT_PARTIAL_KEEP = Duration.ofHours(24);

  /** Validates every field. */
  public UploadLimits {
    Objects.requireNonNull(root, "root");
    if (maxFileSize < 0 || quotaPerClient < 0) {
      throw new IllegalArgumentException("upload limits must not be negative");
    }
    if (partialKeep == null || partialKeep.isNegative()) {
      throw new IllegalArgumentException("partial keep time must not be negative");
    }
  }

  /** Defaults under {@code root}. */
  public static UploadLimits defaults(Path root) {
    return new UploadLimits(root, DEFAULT_MAX_FILE_SIZE, DEFAULT_QUOTA, DEFAULT_PARTIAL_KEEP);
  }
}
