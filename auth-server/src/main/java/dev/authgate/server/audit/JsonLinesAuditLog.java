package dev.authgate.server.audit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit log as a JSON Lines file: each event is rendered to one line and written with one
 * {@code write} to a file opened for append, under a lock, so lines never interleave and each is on
 * disk (in the page cache) before {@link #record} returns.
 *
 * <p>Several processes append to one log (the server, {@code keys} commands, a second server): each
 * line is written holding an exclusive record lock on the file ({@code fcntl}, shared by every
 * writer; a per-file lock serialises the threads of one JVM), so lines never interleave and a
 * writer knows every byte after its starting offset is its own.
 *
 * <p>Thread-safe. When the log cannot be written (disk full, EIO) the server keeps serving: the
 * failure is reported once per streak through SLF4J (stderr), the events are counted as lost, and
 * the torn part of this writer's own line is cut off — never a byte another writer wrote — so a
 * torn line can never swallow the next record. If it cannot be cut back, the next line that is
 * written starts with a newline. When writing works again, the recovery is logged and audited as
 * {@code audit.lost} with the count. {@link #recordOrThrow} is for writers that must not go on when
 * their line is lost (an operator's command).
 */
public final class JsonLinesAuditLog implements AuditFile {
  private static final Logger LOG = LoggerFactory.getLogger(JsonLinesAuditLog.class);
  private static final DateTimeFormatter TS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private final Path file;
  private final Clock clock;
  private final AuditRotation rotation;

  /** Threads of this JVM appending to one file (its record lock belongs to the process). */
  private static final java.util.concurrent.ConcurrentHashMap<Path, ReentrantLock> WRITERS =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** How long a line waits for another process's line before it is appended anyway. */
  static final long LOCK_WAIT_MS = 2_000;

  private final ReentrantLock lock = new ReentrantLock();
  private IOException lastFailure;
  private final RotatedAuditFiles rotated;
  private FileChannel out;
  private Object openedKey;
  private long size;
  private java.time.LocalDate day;
  private boolean failing;
  private boolean needsNewline;
  private long lostInStreak;
  private final java.util.concurrent.atomic.AtomicLong lost =
      new java.util.concurrent.atomic.AtomicLong();

  private JsonLinesAuditLog(Path file, Clock clock, AuditRotation rotation) throws IOException {
    this.file = file;
    this.clock = clock;
    this.rotation = rotation;
    this.rotated = new RotatedAuditFiles(file, rotation);
    rotated.recover();
    openLive();
  }

  private void openLive() throws IOException {
    if (!Files.exists(file)) {
      createPrivate(file);
    }
    out = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    openedKey =
        Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
    size = out.size();
    day = Files.getLastModifiedTime(file).toInstant().atZone(ZoneOffset.UTC).toLocalDate();
  }

  /**
   * Opens {@code file} for append, creating it and its parent directories (mode 0600 for a new
   * file: audit records name clients and addresses).
   *
   * @throws IOException if the file cannot be opened, with the path in the message
   */
  public static JsonLinesAuditLog open(Path file, Clock clock) throws IOException {
    return open(file, clock, AuditRotation.never());
  }

  /** Opens {@code file} for append, rotating it as {@code rotation} says. */
  public static JsonLinesAuditLog open(Path file, Clock clock, AuditRotation rotation)
      throws IOException {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      return new JsonLinesAuditLog(file, clock, rotation);
    } catch (IOException e) {
      throw new IOException("cannot open audit log " + file + ": " + e.getMessage(), e);
    }
  }

  static void createPrivate(Path file) throws IOException {
    try {
      Files.createFile(
          file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (FileAlreadyExistsException e) {
      // Another process created it first; appending to it is what we want.
    }
  }

  @Override
  public void record(AuditEvent event) {
    append(event);
  }

  /**
   * Records {@code event}, or throws if its line could not be written whole (nothing of it is left
   * in the file then).
   *
   * @throws IOException naming the log and why
   */
  public void recordOrThrow(AuditEvent event) throws IOException {
    if (!append(event)) {
      throw new IOException(
          "cannot write audit log "
              + file
              + ": "
              + (lastFailure == null ? "unknown error" : lastFailure.getMessage()));
    }
  }

  /** Writes the event's line; false (and counted as lost) if it could not be written. */
  private boolean append(AuditEvent event) {
    java.time.Instant now = event.stamp(clock);
    String ts = TS.format(now.truncatedTo(ChronoUnit.MILLIS));
    byte[] line = JsonLine.render(ts, event).getBytes(StandardCharsets.UTF_8);
    lock.lock();
    try {
      if (failing) {
        tryRecover(now);
      }
      if (write(now, line)) {
        return true;
      }
      lost.incrementAndGet();
      lostInStreak++;
      return false;
    } finally {
      lock.unlock();
    }
  }

  /** Writes one line; on failure reports the streak's start and cuts the torn part off. */
  private boolean write(java.time.Instant now, byte[] line) {
    try {
      ByteBuffer bytes =
          needsNewline
              ? ByteBuffer.allocate(line.length + 1).put((byte) '\n').put(line).flip()
              : ByteBuffer.wrap(line);
      appendWhole(bytes, now);
      needsNewline = false;
      return true;
    } catch (IOException e) {
      lastFailure = e;
      if (!failing) {
        LOG.error(
            "cannot write audit log {}: {}; events are being lost until it is writable again",
            file,
            e.getMessage());
        failing = true;
      }
      return false;
    }
  }

  /**
   * Appends {@code bytes} holding the file's record lock, so the bytes from the offset where it
   * starts are this writer's alone; a write that fails is cut back to that offset, and nothing
   * another writer wrote is ever cut. Under the same lock: if another writer rotated the file away,
   * this one reopens the new file first (so no line goes to a file being compressed), and a
   * rotation due now renames the file only while no writer can be appending to it.
   */
  private void appendWhole(ByteBuffer bytes, java.time.Instant now) throws IOException {
    ReentrantLock thisFile = WRITERS.computeIfAbsent(lockKey(), k -> new ReentrantLock());
    thisFile.lock();
    java.nio.channels.FileLock held = null;
    try {
      held = lockFile();
      if (replacedSinceOpened()) {
        held = reopen(held);
      }
      if (rotationDue(now, bytes.remaining())) {
        held = rotate(held, now);
      }
      long start = out.size();
      try {
        while (bytes.hasRemaining()) {
          out.write(bytes);
        }
      } catch (IOException e) {
        cutBackTo(start, held != null);
        throw e;
      }
      size = out.size();
    } finally {
      release(held);
      thisFile.unlock();
    }
  }

  /** Whether the path no longer names the file this writer has open (another one rotated it). */
  private boolean replacedSinceOpened() {
    try {
      return !java.util.Objects.equals(
          Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class).fileKey(),
          openedKey);
    } catch (IOException e) {
      return true;
    }
  }

  private java.nio.channels.FileLock reopen(java.nio.channels.FileLock held) throws IOException {
    release(held);
    out.close();
    openLive();
    return lockFile();
  }

  private static void release(java.nio.channels.FileLock held) {
    if (held != null && held.isValid()) {
      try {
        held.release();
      } catch (IOException e) {
        // Closing the channel releases it too.
      }
    }
  }

  /**
   * The file's record lock, waiting at most {@link #LOCK_WAIT_MS} (a writer stuck holding it must
   * not stop the server's audit); null when it cannot be had, and the line is appended anyway.
   */
  private java.nio.channels.FileLock lockFile() {
    long deadline = System.nanoTime() + LOCK_WAIT_MS * 1_000_000L;
    try {
      while (true) {
        java.nio.channels.FileLock lock = out.tryLock();
        if (lock != null || System.nanoTime() - deadline >= 0) {
          return lock;
        }
        Thread.sleep(1);
      }
    } catch (IOException | java.nio.channels.OverlappingFileLockException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private Path lockKey() {
    try {
      return file.toRealPath();
    } catch (IOException e) {
      return file.toAbsolutePath().normalize();
    }
  }

  private void cutBackTo(long start, boolean ownsTheTail) {
    try {
      if (ownsTheTail && out.size() > start) {
        out.truncate(start);
      } else if (out.size() > start) {
        needsNewline = true;
      }
    } catch (IOException | RuntimeException e) {
      needsNewline = true;
    }
  }

  /**
   * Called under the lock while failing: writes {@code audit.lost} with the streak's count; if that
   * works, the log is writable again.
   */
  private void tryRecover(java.time.Instant now) {
    byte[] notice =
        JsonLine.render(
                TS.format(now.truncatedTo(ChronoUnit.MILLIS)),
                AuditEvent.of(AuditEventType.AUDIT_LOST)
                    .with("count", lostInStreak)
                    .with("detail", "the audit log could not be written"))
            .getBytes(StandardCharsets.UTF_8);
    if (write(now, notice)) {
      LOG.warn("audit log {} is writable again; {} events were lost", file, lostInStreak);
      failing = false;
      lostInStreak = 0;
    }
  }

  /** Events that could not be written since the log was opened; for status lines. */
  @Override
  public long lostEvents() {
    return lost.get();
  }

  /** Whether the next line should start a new file (by size, or the first line of a new day). */
  private boolean rotationDue(java.time.Instant now, int nextLine) {
    java.time.LocalDate today = now.atZone(ZoneOffset.UTC).toLocalDate();
    boolean bySize = rotation.maxBytes() > 0 && size > 0 && size + nextLine > rotation.maxBytes();
    boolean byDay = rotation.daily() && size > 0 && !today.equals(day);
    if (!bySize && !byDay) {
      day = today;
      return false;
    }
    return true;
  }

  /**
   * Rotates between two lines, holding the file's record lock (so no other writer is appending),
   * and returns the lock of the new file. No event is ever split or lost.
   */
  private java.nio.channels.FileLock rotate(java.nio.channels.FileLock held, java.time.Instant now)
      throws IOException {
    Path moved = rotated.nextName(day);
    try {
      Files.move(file, moved);
      rotated.compressAndPruneLater(moved);
    } catch (IOException e) {
      LOG.warn("cannot rotate audit log {}: {}; writing on in the same file", file, e.getMessage());
    }
    java.nio.channels.FileLock next = reopen(held);
    day = now.atZone(ZoneOffset.UTC).toLocalDate();
    return next;
  }

  /** The file written to. */
  public Path file() {
    return file;
  }

  @Override
  public void close() throws IOException {
    lock.lock();
    try {
      out.close();
    } finally {
      lock.unlock();
    }
    rotated.close();
  }
}
