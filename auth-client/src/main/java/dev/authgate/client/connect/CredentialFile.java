package dev.authgate.client.connect;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.crypto.ScramKeys;
import dev.authgate.protocol.keyfile.ClientIds;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.keyfile.KeyFileException;
import dev.authgate.protocol.keyfile.KeyFiles;
import dev.authgate.protocol.session.RotateKey;
import dev.authgate.protocol.session.RotateResult;
import dev.authgate.protocol.text.IoErrors;
import dev.authgate.protocol.text.TerminalText;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * A credential kept in a file that its client rotates when a server asks (docs/PROTOCOL.md §5.7):
 * the client makes a new secret, sends only its verifiers, and replaces the file atomically (write,
 * fsync, rename; mode 0600; its owner kept; a linked credential replaced where the link points).
 * Until the new key has been used once, the replaced file is kept beside it as {@code FILE.old}.
 *
 * <p>Every connection takes the credential as the file holds it then, so processes sharing one file
 * (a watched folder, a reconnecting chat, a cron job) follow each other's rotation. A rotation
 * holds an exclusive lock ({@code FILE.lock}, in this process and across processes) and rereads the
 * file first: if another process rotated meanwhile, this one does not rotate again.
 *
 * <p>A client that cannot write its credential (a read-only disk) says so once and keeps working
 * with the key it has; the server asks again at its next session.
 *
 * <p>Thread-safe.
 */
public final class CredentialFile {
  /** One monitor per credential file in this process: a file lock does not exclude threads. */
  private static final Map<Path, Object> IN_PROCESS = new ConcurrentHashMap<>();

  private final Path file;
  private final Consumer<String> warnings;
  private Credential current;
  private Object seen;
  private boolean warned;

  private CredentialFile(Path file, Credential loaded, Consumer<String> warnings) {
    this.file = Objects.requireNonNull(file, "file");
    this.current = Objects.requireNonNull(loaded, "loaded");
    this.warnings = Objects.requireNonNull(warnings, "warnings");
    this.seen = stamp(file);
  }

  /**
   * The credential in {@code file}, as {@code loaded} from it.
   *
   * @param warnings told (once) when a rotation cannot be saved
   */
  public static CredentialFile of(Path file, Credential loaded, Consumer<String> warnings) {
    return new CredentialFile(file, loaded, warnings);
  }

  /** The file. */
  public Path path() {
    return file;
  }

  /** The credential as the file holds it now (reread if it changed since it was last read). */
  public synchronized Credential current() {
    Object now = stamp(file);
    if (now != null && !now.equals(seen)) {
      try {
        current = Credential.load(file);
        seen = now;
      } catch (KeyFileException e) {
        // Being replaced, or broken: keep the one in memory; the next look tries again.
      }
    }
    return current;
  }

  /**
   * After a login with {@code used}: once the key a rotation made has been used, the replaced file
   * ({@code FILE.old}) is not needed any more.
   */
  void loggedIn(Credential used) {
    Path old = oldFile();
    if (old == null || !Files.exists(old, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try {
      Credential previous = Credential.load(old);
      if (!previous.keyId().equals(used.keyId())) {
        Files.deleteIfExists(old);
      }
    } catch (IOException e) {
      // Left for the next login to try.
    }
  }

  /**
   * Rotates the key that {@code used} logged in with, in {@code connection}, whose WELCOME asked
   * for it: a new secret made here, its verifiers sent, the file replaced once the server stored
   * them. Does nothing if another process rotated the file already, or if the file cannot be
   * written (said once, with when the server stops taking the current key if it said).
   *
   * @param refuseAfter when the server stops taking {@code used}'s key (WELCOME's rotate
   *     announcement), or null for never
   * @throws IOException if the session fails (the key the file holds still works: the server keeps
   *     it until the new one is first used)
   */
  void rotate(
      VerifiedConnection connection,
      Credential used,
      java.time.Instant refuseAfter,
      RandomSource randomness,
      Consumer<String> steps)
      throws IOException {
    String until = until(refuseAfter);
    Path target;
    try {
      target = file.toRealPath();
    } catch (IOException e) {
      warnOnce("cannot rotate the key in " + file + ": " + IoErrors.describe(e) + until);
      return;
    }
    synchronized (IN_PROCESS.computeIfAbsent(target, t -> new Object())) {
      Path lockFile = target.resolveSibling(target.getFileName() + ".lock");
      FileChannel lock;
      FileLock held;
      Credential now;
      try {
        lock = openLock(lockFile);
      } catch (IOException e) {
        warnOnce(
            "cannot rotate the key in "
                + file
                + " ("
                + IoErrors.describe(e)
                + "); this client keeps using key "
                + used.keyId()
                + " and the server will ask again"
                + until);
        return;
      }
      try (lock) {
        held = lockWithin(lock, connection.readTimeout());
        if (held == null) {
          steps.accept("the server asked to rotate; another process is rotating " + file);
          return;
        }
        try (held) {
          now = Credential.load(target);
          if (!now.keyId().equals(used.keyId())
              || !Arrays.equals(
                  now.scramKeys().verifier().storedKey(),
                  used.scramKeys().verifier().storedKey())) {
            steps.accept("the server asked to rotate; " + file + " was rotated already");
            return;
          }
          exchange(connection, target, now, used, until, randomness, steps);
        }
      } catch (KeyFileException e) {
        warnOnce("cannot rotate the key in " + file + ": " + e.getMessage() + until);
      }
    }
  }

  /** ROTATE_KEY out, ROTATE_RESULT in, the file replaced: under the lock. */
  private void exchange(
      VerifiedConnection connection,
      Path target,
      Credential now,
      Credential used,
      String until,
      RandomSource randomness,
      Consumer<String> steps)
      throws IOException {
    byte[] secret = randomness.bytes(32);
    ScramKeys keys = ScramKeys.fromSaltedPassword(secret);
    long start = System.nanoTime();
    connection
        .channel()
        .send(new RotateKey(keys.verifier().storedKey(), keys.verifier().serverKey()));
    RotateResult result = connection.awaitMessage(RotateResult.class);
    if (!result.stored()) {
      warnOnce(
          "the server did not store this client's new key ("
              + result.reason()
              + "): "
              + result.text()
              + "; it keeps using key "
              + used.keyId()
              + until);
      return;
    }
    requireValidKeyId(result);
    Credential rotated = new Credential(now.clientId(), result.keyId(), secret, now.hostKeys());
    steps.accept("the server stored key " + result.keyId() + "; saving it in " + file);
    pauseForCrashTests();
    try {
      save(target, now, rotated);
    } catch (IOException | UnsupportedOperationException e) {
      warnOnce(
          "cannot save a rotated key in "
              + file
              + " ("
              + (e instanceof IOException io ? IoErrors.describe(io) : e.toString())
              + "); this client keeps using key "
              + used.keyId()
              + " and the server will ask again"
              + until);
      return;
    }
    synchronized (this) {
      current = rotated;
      seen = stamp(file);
    }
    steps.accept(
        String.format(
            Locale.ROOT,
            "rotated this client's key as the server asked: %s replaces %s (%.1f ms)",
            result.keyId(),
            used.keyId(),
            (System.nanoTime() - start) / 1e6));
  }

  /**
   * A hostile or broken server's key id is never written into a credential (a newline in it would
   * add lines of the server's choosing).
   */
  private static void requireValidKeyId(RotateResult result) throws ProtocolException {
    if (!ClientIds.isValid(result.keyId())) {
      throw new ProtocolException(
          Reason.MALFORMED,
          "the server sent an invalid key id '"
              + TerminalText.escape(
                  result.keyId().substring(0, Math.min(64, result.keyId().length())))
              + "' in ROTATE_RESULT; nothing was written");
    }
  }

  /**
   * For crash tests only: {@code AUTHGATE_TEST_ROTATION_PAUSE_MS} holds the client between the
   * server's store and its own save, so a test can kill it exactly there
   * (KillMidRotationProcessIT). Unset, as everywhere else, it costs nothing.
   */
  private static void pauseForCrashTests() {
    String pause = System.getenv("AUTHGATE_TEST_ROTATION_PAUSE_MS");
    if (pause != null && pause.matches("\\d{1,5}")) {
      try {
        Thread.sleep(Long.parseLong(pause));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** The exclusive lock, waited for at most {@code limit}; null if another process kept it. */
  private static FileLock lockWithin(FileChannel lock, java.time.Duration limit)
      throws IOException {
    long end = System.nanoTime() + limit.toNanos();
    while (true) {
      FileLock held = lock.tryLock();
      if (held != null || System.nanoTime() > end) {
        return held;
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted while waiting to rotate");
      }
    }
  }

  /** The lock file, made 0600 if missing (a read-only directory cannot rotate: said once). */
  private static FileChannel openLock(Path lockFile) throws IOException {
    try {
      // Never through a link: a planted FILE.lock link must not make this client create or lock
      // a file elsewhere (it refuses, says so once, and does not rotate).
      return FileChannel.open(
          lockFile,
          java.util.Set.<java.nio.file.OpenOption>of(
              StandardOpenOption.CREATE, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      return FileChannel.open(
          lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
    }
  }

  /**
   * Keeps {@code previous} as {@code FILE.old} and puts {@code rotated} in place atomically, with
   * the file's owner.
   */
  private static void save(Path target, Credential previous, Credential rotated)
      throws IOException {
    Map<String, Object> owner =
        Files.readAttributes(target, "unix:uid,gid", LinkOption.NOFOLLOW_LINKS);
    Path old = target.resolveSibling(target.getFileName() + ".old");
    KeyFiles.writePrivate(old, previous.format(), true);
    KeyFiles.writePrivate(target, rotated.format(), true);
    for (Path written : new Path[] {old, target}) {
      Map<String, Object> now =
          Files.readAttributes(written, "unix:uid,gid", LinkOption.NOFOLLOW_LINKS);
      if (!now.equals(owner)) {
        Files.setAttribute(written, "unix:uid", owner.get("uid"), LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(written, "unix:gid", owner.get("gid"), LinkOption.NOFOLLOW_LINKS);
      }
    }
  }

  private Path oldFile() {
    try {
      Path target = file.toRealPath();
      return target.resolveSibling(target.getFileName() + ".old");
    } catch (IOException e) {
      return null;
    }
  }

  /** What a warning adds about the server's deadline for the current key. */
  private static String until(java.time.Instant refuseAfter) {
    return refuseAfter == null
        ? ""
        : "; the server refuses that key from "
            + refuseAfter.truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
            + " (give this client a credential file it can write before then)";
  }

  private synchronized void warnOnce(String message) {
    if (!warned) {
      warned = true;
      warnings.accept(message);
    }
  }

  /** What tells a changed file apart: inode, size, modification and change times. */
  private static Object stamp(Path file) {
    try {
      return Files.readAttributes(file, "unix:ino,size,lastModifiedTime,ctime");
    } catch (IOException | UnsupportedOperationException e) {
      return null;
    }
  }

  @Override
  public String toString() {
    return "CredentialFile[" + file + "]";
  }
}
