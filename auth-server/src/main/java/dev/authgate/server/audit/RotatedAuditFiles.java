package dev.authgate.server.audit;

import java.io.IOException;
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
   * Compresses a rotated file crash-safely: the gzip is written under a temporary name and renamed
   * into place, and only then is the plain file removed. A kill at any point leaves either the
   * plain file, or the plain file and a complete gzip (resolved by {@link #recover} at the next
   * start) — never a truncated gzip under a name the reader takes. Then prunes to the configured
   * count. On the compressor thread.
   */
  void compressAndPruneLater(Path rotated) {
    compressor.execute(() -> compressAndPrune(rotated));
  }

  private void compressAndPrune(Path rotated) {
    try {
      if (rotation.compress()) {
        Path gz = rotated.resolveSibling(rotated.getFileName() + ".gz");
        Path partial = rotated.resolveSibling(rotated.getFileName() + ".gz" + AuditReader.PARTIAL);
        // Created 0600: audit records name clients and addresses, even for the instant before a
        // later chmod would have tightened it.
        try (var in = Files.newInputStream(rotated)) {
          // (Opened first: a file pruned while it waited for compression leaves no partial.)
          Files.deleteIfExists(partial);
          JsonLinesAuditLog.createPrivate(partial);
          try (var zip =
              new GZIPOutputStream(
                  Files.newOutputStream(partial, StandardOpenOption.WRITE), 1 << 16)) {
            in.transferTo(zip);
          }
        }
        Files.setLastModifiedTime(partial, Files.getLastModifiedTime(rotated));
        Files.move(partial, gz, StandardCopyOption.ATOMIC_MOVE);
        Files.delete(rotated);
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
            Files.deleteIfExists(p);
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
