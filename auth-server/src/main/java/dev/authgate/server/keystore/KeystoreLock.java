package dev.authgate.server.keystore;

import dev.authgate.protocol.keyfile.KeyFileException;
import dev.authgate.protocol.text.IoErrors;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The one lock every change to a keystore directory takes, shared by every process that writes it:
 * the {@code keys} commands, and any number of servers enrolling machines into one directory.
 * Without it a read-modify-write of a token or client file by one process silently undoes another's
 * (a revocation overwritten by a concurrent enrollment's use count).
 *
 * <p>Two layers, because POSIX record locks belong to a process, not a thread: a {@link
 * ReentrantLock} per directory serialises the threads of this JVM, and an exclusive {@link
 * FileLock} ({@code fcntl(F_SETLK)}) on {@code KEYS/.lock} serialises processes. The lock file is
 * opened only while the in-JVM lock is held, so no other descriptor of it can be closed under the
 * record lock (closing any descriptor of a file drops a process's locks on it).
 *
 * <p>Waiting is bounded: a process that holds the lock longer than {@link #WAIT} (a hung command)
 * is reported, naming the lock file, instead of hanging a server's enrollment thread. Thread-safe.
 */
final class KeystoreLock {
  /** The lock file's name inside the keystore directory (not a key file: readers skip it). */
  static final String FILE_NAME = ".lock";

  /** How long a change waits for another process's change to finish. */
  static final Duration WAIT = Duration.ofSeconds(20);

  private static final ConcurrentHashMap<Path, ReentrantLock> IN_THIS_JVM =
      new ConcurrentHashMap<>();

  /** A piece of work done while holding the lock. */
  @FunctionalInterface
  interface Locked<T> {
    T run() throws IOException, EnrollRefused;
  }

  private KeystoreLock() {}

  /**
   * Runs {@code work} holding the keystore's lock, exclusively among every thread and process that
   * changes {@code dir}. Reentrant within one thread.
   *
   * @throws KeyFileException if the lock cannot be taken within {@link #WAIT} or its file cannot be
   *     opened (naming the file and why)
   */
  static <T> T holding(Path dir, Locked<T> work) throws IOException, EnrollRefused {
    return holding(dir, WAIT, work);
  }

  /** As {@link #holding(Path, Locked)}, giving up after {@code wait}. */
  static <T> T holding(Path dir, Duration wait, Locked<T> work) throws IOException, EnrollRefused {
    Path lockFile = dir.resolve(FILE_NAME);
    ReentrantLock local = IN_THIS_JVM.computeIfAbsent(key(dir), k -> new ReentrantLock());
    long deadline = System.nanoTime() + wait.toNanos();
    try {
      if (!local.tryLock(wait.toMillis(), TimeUnit.MILLISECONDS)) {
        throw busy(lockFile, "a thread of this process", wait);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KeyFileException(lockFile, "interrupted while waiting for " + lockFile, e);
    }
    try {
      if (local.getHoldCount() > 1) {
        return work.run();
      }
      try (FileChannel channel = open(lockFile)) {
        FileLock held = acquire(channel, lockFile, deadline, wait);
        try {
          return work.run();
        } finally {
          held.release();
        }
      }
    } finally {
      local.unlock();
    }
  }

  private static Path key(Path dir) {
    try {
      return dir.toRealPath();
    } catch (IOException e) {
      return dir.toAbsolutePath().normalize();
    }
  }

  private static FileChannel open(Path lockFile) throws KeyFileException {
    try {
      boolean created = !Files.exists(lockFile, LinkOption.NOFOLLOW_LINKS);
      FileChannel channel =
          FileChannel.open(
              lockFile,
              Set.<OpenOption>of(
                  StandardOpenOption.CREATE, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      if (created) {
        giveToDirectoryOwner(lockFile);
      }
      return channel;
    } catch (IOException e) {
      throw new KeyFileException(
          lockFile,
          "cannot open the keystore's lock file "
              + lockFile
              + ": "
              + IoErrors.reason(e)
              + "; every process that changes the keystore (keys commands, servers) must run as"
              + " its owner");
    }
  }

  /**
   * A lock file made by root (an operator's {@code sudo auth-server keys …}) belongs to the
   * keystore's owner, like every other file there, so the service user can still take it.
   */
  private static void giveToDirectoryOwner(Path lockFile) {
    try {
      java.nio.file.attribute.UserPrincipal owner =
          Files.getOwner(lockFile.getParent(), LinkOption.NOFOLLOW_LINKS);
      if (!owner.equals(Files.getOwner(lockFile, LinkOption.NOFOLLOW_LINKS))) {
        Files.setOwner(lockFile, owner);
      }
    } catch (IOException | UnsupportedOperationException e) {
      // Not root, or no owners here: the file is the directory owner's already, or can be fixed.
    }
  }

  private static FileLock acquire(FileChannel channel, Path lockFile, long deadline, Duration wait)
      throws IOException {
    long pause = 1;
    while (true) {
      FileLock lock = channel.tryLock();
      if (lock != null) {
        return lock;
      }
      if (System.nanoTime() - deadline >= 0) {
        throw busy(lockFile, "another process", wait);
      }
      try {
        Thread.sleep(pause);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new KeyFileException(lockFile, "interrupted while waiting for " + lockFile, e);
      }
      pause = Math.min(pause * 2, 50);
    }
  }

  private static KeyFileException busy(Path lockFile, String holder, Duration waited) {
    return new KeyFileException(
        lockFile,
        "the keystore is being changed by "
            + holder
            + " and stayed locked for "
            + waited.toMillis()
            + " ms ("
            + lockFile
            + "); try again, or find the process holding it: fuser -v "
            + lockFile);
  }
}
