package dev.authgate.server.hooks;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An immutable view of one stored file for its hooks: a hard link in the server's private {@code
 * UPLOADS/.hooks/} taken the moment the file is announced (while its upload still holds the name),
 * so a client overwriting the name before the hook runs changes what is under the name, never what
 * the hook reads. Before a hook uses it, its bytes are checked against the SHA-256 the hook is told
 * (a second server sharing the uploads directory could still have replaced the name first); a
 * snapshot that does not match is never handed to a hook. Removed when its last hook is done.
 *
 * <p>Thread-safe: {@link #verify} runs once, whichever hook asks first.
 */
final class HookSnapshot {
  /**
   * The private directory of snapshots, inside the uploads root (a hard link needs one file
   * system).
   */
  static final String DIR = ".hooks";

  private static final java.util.Set<java.nio.file.attribute.PosixFilePermission> PRIVATE =
      PosixFilePermissions.fromString("rwx------");

  /** Snapshots older than this at start-up were left by a server that stopped mid-hook. */
  static final Duration STALE = Duration.ofDays(1);

  /** Whether hooks have started on it, or a newer upload of the name made it moot first. */
  private enum State {
    WAITING,
    IN_USE,
    SUPERSEDED
  }

  private final Path path;
  private final long size;
  private final String sha256;
  private final AtomicInteger users;
  private final java.util.concurrent.atomic.AtomicReference<State> state =
      new java.util.concurrent.atomic.AtomicReference<>(State.WAITING);
  private volatile Runnable onReleased = () -> {};
  private Boolean matches;

  private HookSnapshot(Path path, long size, String sha256, int users) {
    this.path = path;
    this.size = size;
    this.sha256 = sha256;
    this.users = new AtomicInteger(users);
  }

  /** Runs {@code action} once the last hook is done with it. */
  void onReleased(Runnable action) {
    this.onReleased = action;
  }

  /**
   * A hook starts on it.
   *
   * @return false if a newer upload of the same name superseded it before any hook started
   */
  boolean begin() {
    return state.compareAndSet(State.WAITING, State.IN_USE) || state.get() == State.IN_USE;
  }

  /**
   * The same name was stored again. If no hook has started on this snapshot yet, its link goes at
   * once, so hooks waiting in the queue never keep old versions of a file on disk (a client
   * overwriting one name while hooks are slow would otherwise hold a copy per upload); its hooks
   * then report {@code replaced}, and the newer upload's hooks have the newer bytes.
   */
  void supersede() {
    if (state.compareAndSet(State.WAITING, State.SUPERSEDED)) {
      try {
        Files.deleteIfExists(path);
      } catch (IOException e) {
        // Left for the release, or the next start's sweep.
      }
    }
  }

  /**
   * Links {@code stored} into {@code uploads/.hooks/} for {@code users} hooks.
   *
   * @throws IOException if the directory cannot be made private or the link cannot be made
   */
  static HookSnapshot take(Path uploads, Path stored, long size, String sha256, int users)
      throws IOException {
    Path dir = privateDirectory(uploads);
    Path link = dir.resolve(UUID.randomUUID().toString());
    Files.createLink(link, stored);
    return new HookSnapshot(link, size, sha256, users);
  }

  private static Path privateDirectory(Path uploads) throws IOException {
    Path dir = uploads.resolve(DIR);
    try {
      Files.createDirectory(
          dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (FileAlreadyExistsException e) {
      java.nio.file.attribute.PosixFileAttributes a =
          Files.readAttributes(
              dir, java.nio.file.attribute.PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (!a.isDirectory()) {
        throw new IOException(dir + " is not a plain directory (a symbolic link?); refusing it");
      }
      Object uid = Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
      long mine = new com.sun.security.auth.module.UnixSystem().getUid();
      if (!(uid instanceof Integer owner) || owner != mine || !a.permissions().equals(PRIVATE)) {
        // Someone else could swap a snapshot between its check and its hook.
        throw new IOException(
            dir + " must be this server's own (uid " + mine + "), mode 0700; refusing it");
      }
    }
    return dir;
  }

  /** Removes snapshots a stopped server left behind (older than {@link #STALE}). */
  static void sweep(Path uploads, Instant now) {
    Path dir = uploads.resolve(DIR);
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    FileTime cutoff = FileTime.from(now.minus(STALE));
    try (var links = Files.newDirectoryStream(dir)) {
      for (Path link : links) {
        BasicFileAttributes a =
            Files.readAttributes(link, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (a.lastModifiedTime().compareTo(cutoff) < 0) {
          Files.deleteIfExists(link);
        }
      }
    } catch (IOException e) {
      // Leftover links cost only disk space; the next start tries again.
    }
  }

  /** The link a hook reads. */
  Path path() {
    return path;
  }

  /** Whether the snapshot holds exactly the announced bytes (size, then SHA-256). Computed once. */
  synchronized boolean verify() {
    if (matches == null) {
      matches = hashMatches();
    }
    return matches;
  }

  private boolean hashMatches() {
    try {
      BasicFileAttributes a =
          Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (!a.isRegularFile() || a.size() != size) {
        return false;
      }
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[64 * 1024];
      try (InputStream in = Files.newInputStream(path, LinkOption.NOFOLLOW_LINKS)) {
        for (int n = in.read(buffer); n > 0; n = in.read(buffer)) {
          digest.update(buffer, 0, n);
        }
      }
      return HexFormat.of().formatHex(digest.digest()).equals(sha256);
    } catch (NoSuchFileException e) {
      return false;
    } catch (IOException e) {
      return false;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /** One hook is done with it; the last one removes the link. */
  void release() {
    if (users.decrementAndGet() == 0) {
      try {
        Files.deleteIfExists(path);
      } catch (IOException e) {
        // Left for the next start's sweep.
      }
      onReleased.run();
    }
  }
}
