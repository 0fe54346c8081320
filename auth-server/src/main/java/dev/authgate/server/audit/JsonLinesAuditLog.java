package dev.authgate.server.audit;

import java.io.Closeable;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * <p>Thread-safe. A failed write is reported once per failure streak through SLF4J and never
 * thrown: the server keeps serving.
 */
public final class JsonLinesAuditLog implements AuditLog, Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(JsonLinesAuditLog.class);
  private static final DateTimeFormatter TS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private final Path file;
  private final Clock clock;
  private final OutputStream out;
  private final ReentrantLock lock = new ReentrantLock();
  private boolean failing;

  private JsonLinesAuditLog(Path file, Clock clock, OutputStream out) {
    this.file = file;
    this.clock = clock;
    this.out = out;
  }

  /**
   * Opens {@code file} for append, creating it and its parent directories (mode 0600 for a new
   * file: audit records name clients and addresses).
   *
   * @throws IOException if the file cannot be opened, with the path in the message
   */
  public static JsonLinesAuditLog open(Path file, Clock clock) throws IOException {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      if (!Files.exists(file)) {
        createPrivate(file);
      }
      return new JsonLinesAuditLog(file, clock, new FileOutputStream(file.toFile(), true));
    } catch (IOException e) {
      throw new IOException("cannot open audit log " + file + ": " + e.getMessage(), e);
    }
  }

  private static void createPrivate(Path file) throws IOException {
    try {
      Files.createFile(
          file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (FileAlreadyExistsException e) {
      // Another process created it first; appending to it is what we want.
    }
  }

  @Override
  public void record(AuditEvent event) {
    String ts = TS.format(clock.instant().truncatedTo(ChronoUnit.MILLIS));
    byte[] line = JsonLine.render(ts, event).getBytes(StandardCharsets.UTF_8);
    lock.lock();
    try {
      out.write(line);
      out.flush();
      if (failing) {
        LOG.warn("audit log {} is writable again", file);
        failing = false;
      }
    } catch (IOException e) {
      if (!failing) {
        LOG.error("cannot write audit log {}: {}; events are being lost", file, e.getMessage());
        failing = true;
      }
    } finally {
      lock.unlock();
    }
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
  }
}
