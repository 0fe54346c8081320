package dev.authgate.server.upload;

import dev.authgate.protocol.crypto.Digests;
import dev.authgate.protocol.keyfile.Permissions;
import dev.authgate.protocol.session.UploadBegin;
import dev.authgate.protocol.session.UploadNames;
import dev.authgate.protocol.text.Sizes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every client's stored files and partial uploads under one root. {@link #begin} checks the name,
 * size, quota and name lock before any byte is written and returns a {@link PartialUpload} that
 * writes to a staging file and moves it into place only when size and SHA-256 match.
 *
 * <p>Thread-safe: uploads of different names proceed in parallel; two uploads of the same name by
 * the same client never do (the second is refused as {@code busy}).
 */
public final class UploadStore implements java.io.Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(UploadStore.class);
  static final String PARTIAL_PREFIX = UploadNames.RESERVED_PREFIX + "part-";

  private final UploadLimits limits;
  private final UploadRoot root;
  private final Clock clock;
  private final Set<String> namesInUse = ConcurrentHashMap.newKeySet();
  private final Map<String, Long> reservedBytes = new ConcurrentHashMap<>();

  private UploadStore(UploadLimits limits, UploadRoot root, Clock clock) {
    this.limits = limits;
    this.root = root;
    this.clock = clock;
  }

  /**
   * Opens the store, creating the root (mode 0700) if it does not exist, and holds the root open as
   * a directory handle until {@link #close}.
   *
   * @throws IOException naming the root if it cannot be created or is not a directory
   */
  public static UploadStore open(UploadLimits limits, Clock clock) throws IOException {
    Path root = limits.root();
    try {
      if (!Files.isDirectory(root)) {
        Files.createDirectories(root);
        trySetPrivate(root);
      }
    } catch (IOException e) {
      throw new IOException("cannot create uploads directory " + root + ": " + e.getMessage(), e);
    }
    try {
      return new UploadStore(limits, UploadRoot.open(root), clock);
    } catch (IOException e) {
      throw new IOException("cannot open uploads directory " + root + ": " + e.getMessage(), e);
    }
  }

  private static void trySetPrivate(Path dir) {
    try {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    } catch (IOException | UnsupportedOperationException e) {
      // A file system without POSIX permissions; the directory is still usable.
    }
  }

  /** The limits in force. */
  public UploadLimits limits() {
    return limits;
  }

  /**
   * Starts (or resumes) an upload for {@code clientId}.
   *
   * @throws UploadRefused if the file may not be stored; nothing has been written then
   */
  public PartialUpload begin(String clientId, UploadBegin request) throws UploadRefused {
    return begin(clientId, request, Permissions.ALL);
  }

  /**
   * Starts (or resumes) an upload for {@code clientId} within its own limits: its largest file and
   * quota, where its keystore entry sets them, else the server's.
   *
   * @throws UploadRefused if the file may not be stored; nothing has been written then
   */
  public PartialUpload begin(String clientId, UploadBegin request, Permissions permissions)
      throws UploadRefused {
    String name = request.name();
    String problem = UploadNames.problem(name);
    if (problem != null) {
      throw new UploadRefused("bad-name", problem + "; " + UploadNames.RULE);
    }
    boolean own = permissions.maxFileSize() != null;
    long maxFileSize = own ? permissions.maxFileSize() : limits.maxFileSize();
    if (request.size() < 0 || request.size() > maxFileSize) {
      throw new UploadRefused(
          "too-large",
          "'"
              + name
              + "' is "
              + Sizes.human(request.size())
              + "; the largest file "
              + (own ? "this client may store" : "this server accepts")
              + " is "
              + Sizes.human(maxFileSize));
    }
    long quota = permissions.quota() != null ? permissions.quota() : limits.quotaPerClient();
    String lock = clientId + "/" + name;
    if (!namesInUse.add(lock)) {
      throw new UploadRefused("busy", "another upload of '" + name + "' is in progress");
    }
    ClientDirectory dir = null;
    try {
      dir = ClientDirectory.open(root, clientId);
      long existing = dir.sizeOf(name);
      if (existing >= 0 && !request.overwrite()) {
        throw new UploadRefused(
            "exists",
            "'" + name + "' already exists on the server; upload with --overwrite to replace it");
      }
      String partial = partialName(name);
      long offset = resumableOffset(dir, partial, request);
      // The whole staged file is reserved, an overwrite's too: until it is renamed over the old
      // one both are on disk (and an interrupted one keeps its part for --partial-keep), so the
      // old file (counted as used) and the new one must both fit.
      long reserved = reserve(clientId, dir, request.size() - offset, quota, existing > 0);
      try {
        return startPartial(clientId, name, partial, dir, offset, request.size(), lock, reserved);
      } catch (IOException e) {
        unreserve(clientId, reserved);
        throw e;
      }
    } catch (UploadRefused e) {
      release(lock, dir);
      throw e;
    } catch (IOException e) {
      release(lock, dir);
      LOG.warn("upload of '{}' by {} failed to start: {}", name, clientId, e.getMessage());
      throw new UploadRefused(
          "storage-error", "the server cannot store files now: " + e.getMessage());
    }
  }

  private PartialUpload startPartial(
      String clientId,
      String name,
      String partial,
      ClientDirectory dir,
      long offset,
      long size,
      String lock,
      long reserved)
      throws IOException {
    MessageDigest digest = Digests.newSha256();
    if (offset > 0) {
      hashPrefix(dir, partial, offset, digest);
    }
    byte[] prefixHash = ((MessageDigest) cloneDigest(digest)).digest();
    return new PartialUpload(
        this,
        clientId,
        name,
        partial,
        dir,
        offset,
        size,
        digest,
        prefixHash,
        dir.openForWrite(partial, offset > 0),
        lock,
        clock.instant(),
        reserved);
  }

  private static Object cloneDigest(MessageDigest digest) {
    try {
      return digest.clone();
    } catch (CloneNotSupportedException e) {
      throw new IllegalStateException("SHA-256 digests cannot be cloned here", e);
    }
  }

  private static long resumableOffset(ClientDirectory dir, String partial, UploadBegin request)
      throws IOException {
    long kept = dir.sizeOf(partial);
    if (!request.resume() || kept <= 0 || kept > request.size()) {
      dir.deleteIfExists(partial);
      return 0;
    }
    return kept;
  }

  private static void hashPrefix(
      ClientDirectory dir, String partial, long length, MessageDigest digest) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(256 * 1024);
    long remaining = length;
    try (SeekableByteChannel in = dir.openForRead(partial)) {
      while (remaining > 0) {
        buffer.clear().limit((int) Math.min(buffer.capacity(), remaining));
        int n = in.read(buffer);
        if (n < 0) {
          throw new IOException("partial upload shrank while it was being read");
        }
        digest.update(buffer.array(), 0, n);
        remaining -= n;
      }
    }
  }

  /** Checks the quota and reserves the bytes this upload will add; returns the reservation. */
  private synchronized long reserve(
      String clientId, ClientDirectory dir, long additional, long quota, boolean replacing)
      throws IOException, UploadRefused {
    long used = reservedBytes.getOrDefault(clientId, 0L);
    for (ClientDirectory.Entry entry : dir.entries()) {
      if (entry.attributes().isRegularFile()) {
        used += entry.attributes().size();
      }
    }
    long needed = Math.max(additional, 0);
    if (used + needed > quota) {
      throw new UploadRefused(
          "quota",
          "storing this file would use "
              + Sizes.human(used + needed)
              + "; this client's quota is "
              + Sizes.human(quota)
              + (replacing
                  ? " (an overwrite needs room for the new file beside the old one until it is"
                      + " stored)"
                  : ""));
    }
    reservedBytes.merge(clientId, needed, Long::sum);
    return needed;
  }

  private synchronized void unreserve(String clientId, long reserved) {
    reservedBytes.computeIfPresent(clientId, (k, v) -> v - reserved <= 0 ? null : v - reserved);
  }

  /** Gives back a reservation and the name lock when an upload ends, however it ends. */
  void finished(String clientId, String lock, long reserved) {
    unreserve(clientId, reserved);
    namesInUse.remove(lock);
  }

  private void release(String lock, ClientDirectory dir) {
    namesInUse.remove(lock);
    if (dir != null) {
      try {
        dir.close();
      } catch (IOException ignored) {
        // The handle is gone either way.
      }
    }
  }

  static String partialName(String name) {
    byte[] hash = Digests.sha256(name.getBytes(StandardCharsets.UTF_8));
    return PARTIAL_PREFIX + HexFormat.of().formatHex(hash, 0, 16);
  }

  /**
   * Deletes kept partial uploads older than the keep time that no upload is using.
   *
   * @return how many were deleted
   */
  public int sweepPartials() {
    Instant cutoff = clock.instant().minus(limits.partialKeep());
    int deleted = 0;
    try {
      root.checkUnchanged();
    } catch (IOException e) {
      LOG.error("not sweeping partial uploads: {}", e.getMessage());
      return 0;
    }
    try (var clients = Files.newDirectoryStream(root.path())) {
      for (Path client : clients) {
        deleted += sweep(client.getFileName().toString(), cutoff);
      }
    } catch (IOException e) {
      LOG.warn("cannot sweep partial uploads in {}: {}", limits.root(), e.getMessage());
    }
    return deleted;
  }

  private int sweep(String clientId, Instant cutoff) {
    int deleted = 0;
    try (ClientDirectory dir = ClientDirectory.open(root, clientId)) {
      for (ClientDirectory.Entry entry : dir.entries()) {
        boolean stale =
            entry.name().startsWith(PARTIAL_PREFIX)
                && entry.attributes().lastModifiedTime().toInstant().isBefore(cutoff);
        if (stale && namesInUse.stream().noneMatch(l -> l.startsWith(clientId + "/"))) {
          dir.deleteIfExists(entry.name());
          deleted++;
        }
      }
    } catch (IOException e) {
      LOG.warn("cannot sweep partial uploads of {}: {}", clientId, e.getMessage());
    }
    return deleted;
  }

  /** Releases the root's directory handle. */
  @Override
  public void close() throws IOException {
    root.close();
  }
}
