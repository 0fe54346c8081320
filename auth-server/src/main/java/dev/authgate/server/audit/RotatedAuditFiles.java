package dev.authgate.server.audit;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.LocalDate;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rotated files beside an audit log ({@code audit.jsonl.2026-12-07.0[.gz]}): their names, their
 * compression on a thread of their own, pruning to the configured count, and the clean-up after a
 * process killed while compressing.
 */
final class RotatedAuditFiles {
  private static final Logger LOG = LoggerFactory.getLogger(JsonLinesAuditLog.class);

  /** The suffix of a rotated, uncompressed file: {@code 2026-12-07.0}. */
  private static final Pattern ROTATED_PLAIN = Pattern.compile("\\d{4}-\\d\\d-\\d\\d\\.\\d+");

  private final Path file;
  private final AuditRotation rotation;
  private final ExecutorService compressor =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "authgate-audit-compress");
            t.setDaemon(true);
            return t;
          });

  RotatedAuditFiles(Path file, AuditRotation rotation) {
    this.file = file;
    this.rotation = rotation;
  }

  /** The name the live file is renamed to when it rotates on {@code date}. */
  Path nextName(LocalDate date) {
    String base = file.getFileName() + "." + date + ".";
    for (int i = 0; ; i++) {
      Path plain = file.resolveSibling(base + i);
      if (!Files.exists(plain) && !Files.exists(file.resolveSibling(base + i + ".gz"))) {
        return plain;
      }
    }
  }

  /**
   * Compresses a rotated file crash-safely: the gzip is written under a temporary name (locked
   * while written) and renamed into place, and only then is the plain file removed. A kill at any
   * point leaves either the plain file, or the plain file and a complete gzip (resolved by {@link
   * #recover} at the next start) — never a truncated gzip under a name the reader takes. Then
   * prunes to the configured count. On the compressor thread.
   */
  void compressAndPruneLater(Path rotated) {
    compressor.execute(() -> compressAndPrune(rotated));
  }

  private void compressAndPrune(Path rotated) {
    try {
      if (rotation.compress()) {
        compress(rotated);
      }
      var kept = AuditReader.files(file);
      kept.remove(file);
      for (int i = 0; i < kept.size() - rotation.maxFiles(); i++) {
        Files.deleteIfExists(kept.get(i));
      }
    } catch (NoSuchFileException e) {
      // Pruned as one of the oldest while it waited to be compressed: nothing to do.
    } catch (IOException e) {
      LOG.warn("rotating audit log {}: {}", rotated, e.getMessage());
    }
  }

  /**
   * Compresses {@code rotated} into its gzip through a partial file this process holds an exclusive
   * lock on from before it writes a byte until after the rename: another process (a second server
   * appending to the same log) that finds the partial locked leaves it, and the file, alone.
   */
  private void compress(Path rotated) throws IOException {
    Path gz = rotated.resolveSibling(rotated.getFileName() + ".gz");
    Path partial = rotated.resolveSibling(rotated.getFileName() + ".gz" + AuditReader.PARTIAL);
    // (Opened first: a file pruned or compressed by another process meanwhile leaves no partial.)
    try (var in = Files.newInputStream(rotated)) {
      if (!Files.exists(partial)) {
        try {
          // Created 0600: audit records name clients and addresses, even for the instant
          // before a later chmod would have tightened it.
          JsonLinesAuditLog.createPrivate(partial);
        } catch (java.nio.file.FileAlreadyExistsException racing) {
          // another process made it a moment ago: its lock decides below
        }
      }
      try (FileChannel channel = FileChannel.open(partial, StandardOpenOption.WRITE);
          FileLock held = tryLock(channel)) {
        if (held == null) {
          return; // another process is compressing this file
        }
        channel.truncate(0);
        // The gzip stream must not close the channel: the lock is released with it, after the
        // rename.
        OutputStream unclosed =
            new FilterOutputStream(Channels.newOutputStream(channel)) {
              @Override
              public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
              }

              @Override
              public void close() throws IOException {
                flush();
              }
            };
        try (var zip = new GZIPOutputStream(unclosed, 1 << 16)) {
          in.transferTo(zip);
        }
        channel.force(true);
        Files.setLastModifiedTime(partial, Files.getLastModifiedTime(rotated));
        Files.move(partial, gz, StandardCopyOption.ATOMIC_MOVE);
      }
    }
    Files.deleteIfExists(rotated);
  }

  /** The lock, or null if another process (or another writer in this one) holds it. */
  private static FileLock tryLock(FileChannel channel) throws IOException {
    try {
      return channel.tryLock();
    } catch (java.nio.channels.OverlappingFileLockException inThisProcess) {
      return null;
    }
  }

  /**
   * Cleans up after a process that was killed while compressing: a plain rotated file whose gzip is
   * complete is removed, so no event is read twice. A writer that compresses also removes partial
   * gzips and compresses the rotated files a kill left plain; one that does not (a {@code keys}
   * command appending beside a running server) leaves them alone, since they may be the server's
   * compression under way.
   */
  void recover() {
    Path dir = file.toAbsolutePath().getParent();
    String prefix = file.getFileName() + ".";
    try (var siblings = Files.list(dir)) {
      for (Path p : siblings.sorted().toList()) {
        String name = p.getFileName().toString();
        if (!name.startsWith(prefix)) {
          continue;
        }
        if (name.endsWith(AuditReader.PARTIAL)) {
          if (rotation.compress()) {
            deleteIfOrphaned(p);
          }
        } else if (!name.endsWith(".gz") && Files.exists(p.resolveSibling(name + ".gz"))) {
          Files.deleteIfExists(p);
        } else if (rotation.compress()
            && ROTATED_PLAIN.matcher(name.substring(prefix.length())).matches()) {
          compressAndPruneLater(p);
        }
      }
    } catch (IOException e) {
      LOG.warn("cannot check rotated audit files beside {}: {}", file, e.getMessage());
    }
  }

  /**
   * Deletes a partial gzip no process holds the lock of (its compressor was killed); one another
   * server is writing stays.
   */
  private static void deleteIfOrphaned(Path partial) throws IOException {
    try (FileChannel channel = FileChannel.open(partial, StandardOpenOption.WRITE);
        FileLock held = tryLock(channel)) {
      if (held != null) {
        Files.deleteIfExists(partial);
      }
    } catch (NoSuchFileException gone) {
      // renamed into place or removed by its compressor meanwhile
    }
  }

  /** Lets a compression under way finish (30 s at most). */
  void close() {
    compressor.shutdown();
    try {
      compressor.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
