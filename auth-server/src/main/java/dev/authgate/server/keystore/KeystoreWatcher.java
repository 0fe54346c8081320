package dev.authgate.server.keystore;

import dev.authgate.protocol.keyfile.KeyFileException;
import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.audit.AuditLog;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the running server's keys in step with the keystore directory. Every interval it takes a
 * cheap signature of the directory (each key file's name, size, modification time, inode and mode);
 * when that changes it reloads, swaps the new snapshot in for new connections, audits {@code
 * keys.reloaded} and tells the server to recheck open sessions. A corrupt or too-open file is
 * reported and skipped; if the directory itself cannot be read, the last good set stays in force.
 *
 * <p>Polling, rather than a file-system watch service, survives the directory being replaced,
 * remounted or edited over NFS; a few stat calls per second cost nothing. Thread-safe.
 */
public final class KeystoreWatcher implements Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(KeystoreWatcher.class);

  private final KeystoreDirectory directory;
  private final LiveKeystore live;
  private final AuditLog audit;
  private final Runnable afterReload;
  private final ScheduledExecutorService scheduler;
  private String signature;
  private boolean failing;
  private volatile LiveHostKeys hostKeys;

  /**
   * @param afterReload run after each successful reload (the server rechecks open sessions)
   */
  public KeystoreWatcher(
      KeystoreDirectory directory, LiveKeystore live, AuditLog audit, Runnable afterReload) {
    this.directory = directory;
    this.live = live;
    this.audit = audit;
    this.afterReload = afterReload;
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "authgate-keystore-watch");
              t.setDaemon(true);
              return t;
            });
  }

  /** At each look, also rereads {@code keys} if their files changed (a host key rotation). */
  public void alsoRefresh(LiveHostKeys keys) {
    this.hostKeys = keys;
  }

  /** Records the directory's current state (already loaded into the live keystore). */
  public synchronized void markLoaded() {
    signature = signature();
  }

  /** Checks the directory every {@code interval}. */
  public void start(Duration interval) {
    markLoaded();
    scheduler.scheduleWithFixedDelay(
        this::checkQuietly, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void checkQuietly() {
    try {
      LiveHostKeys keys = hostKeys;
      if (keys != null) {
        keys.refresh();
      }
      checkNow();
    } catch (RuntimeException e) {
      LOG.error("checking keystore {} failed: {}", directory.path(), e.toString());
    }
  }

  /**
   * Reloads if the directory changed since the last look.
   *
   * @return whether a reload was attempted
   */
  public synchronized boolean checkNow() {
    String now = signature();
    if (Objects.equals(now, signature)) {
      return false;
    }
    signature = now;
    reload();
    return true;
  }

  /** Reloads now, whatever the signature says, and audits the outcome. */
  public synchronized void reload() {
    KeystoreSnapshot snapshot;
    try {
      snapshot = directory.load();
    } catch (KeyFileException e) {
      if (!failing) {
        LOG.error("cannot reload keystore: {}; keeping the last good keys", e.getMessage());
        audit.record(
            AuditEvent.of(AuditEventType.KEYS_RELOADED)
                .with("dir", directory.path().toString())
                .with("ok", false)
                .with("error", "kept the last good keys: " + e.getMessage()));
      }
      failing = true;
      return;
    }
    failing = false;
    live.replace(snapshot);
    record(audit, directory.path(), snapshot);
    afterReload.run();
  }

  /** Audits a loaded snapshot as {@code keys.reloaded} and logs each skipped file. */
  public static void record(AuditLog audit, Path dir, KeystoreSnapshot snapshot) {
    snapshot.skipped().forEach(s -> LOG.warn("skipped {}", s.problem()));
    audit.record(
        AuditEvent.of(AuditEventType.KEYS_RELOADED)
            .with("dir", dir.toString())
            .with("ok", true)
            .with("clients", snapshot.clients().size())
            .with("keys", snapshot.keyCount())
            .with("skipped", snapshot.skipped().size())
            .with(
                "skipped_files",
                snapshot.skipped().stream()
                    .map(s -> s.file().getFileName().toString())
                    .collect(Collectors.joining(","))));
  }

  /**
   * Each key file's name, size, modification time, inode, mode, owner and change time (ctime moves
   * with every chown and chmod, even one that keeps the mode), and the directory's: a file given
   * away to another user is noticed at the next look and refused, as sshd checks on every use.
   */
  private String signature() {
    Path dir = directory.path();
    TreeMap<String, String> entries = new TreeMap<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.keys")) {
      for (Path file : files) {
        entries.put(file.getFileName().toString(), describe(file, LinkOption.NOFOLLOW_LINKS));
      }
      return describe(dir) + entries;
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return "unreadable: " + e;
    }
  }

  private static String describe(Path path, LinkOption... options) throws IOException {
    java.util.Map<String, Object> a =
        Files.readAttributes(path, "unix:size,lastModifiedTime,fileKey,mode,uid,ctime", options);
    return a.get("size")
        + "/"
        + a.get("lastModifiedTime")
        + "/"
        + a.get("fileKey")
        + "/"
        + a.get("mode")
        + "/"
        + a.get("uid")
        + "/"
        + a.get("ctime");
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
