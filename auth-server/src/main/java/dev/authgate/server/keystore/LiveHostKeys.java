package dev.authgate.server.keystore;

import dev.authgate.protocol.identity.HostKeySet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host keys a running server signs and announces with, reread when their files change: a
 * rotation started or retired with {@code keys host-key rotate|retire} reaches every server that
 * shares the keystore at its next look, without a restart. A file that cannot be used keeps the
 * last good keys (said once). Thread-safe: handshakes read {@link #get} while the watcher
 * refreshes.
 */
public final class LiveHostKeys implements Supplier<HostKeySet> {
  private static final Logger LOG = LoggerFactory.getLogger(LiveHostKeys.class);

  private final HostKeys source;
  private volatile HostKeySet current;
  private String signature;
  private boolean failing;
  private boolean publishFailed;

  private LiveHostKeys(HostKeys source, HostKeySet current) {
    this.source = source;
    this.current = current;
  }

  /** The keys of {@code source} now; refreshed by {@link #refresh}. */
  public static LiveHostKeys load(HostKeys source) throws IOException {
    LiveHostKeys live = new LiveHostKeys(source, null);
    live.signature = live.signature();
    live.current = source.loadSet();
    live.publish();
    return live;
  }

  /**
   * With systemd credentials, writes {@code KEYS/host.pub} so that {@code keys} commands run from a
   * shell pin these keys; a keystore this server may not write is said once.
   */
  private void publish() {
    if (!source.fromCredentials()) {
      return;
    }
    try {
      source.writePublic(current);
    } catch (IOException e) {
      if (!publishFailed) {
        LOG.warn(
            "cannot write {} ({}): keys commands run without the credentials cannot pin the host"
                + " key",
            HostKeys.PUBLIC_FILE_NAME,
            e.getMessage());
      }
      publishFailed = true;
    }
  }

  /** Keys that never change (tests, benchmarks). */
  public static Supplier<HostKeySet> fixed(HostKeySet keys) {
    Objects.requireNonNull(keys);
    return () -> keys;
  }

  @Override
  public HostKeySet get() {
    return current;
  }

  /**
   * Rereads the keys if their files changed since the last look.
   *
   * @return whether the keys in use changed
   */
  public synchronized boolean refresh() {
    String now = signature();
    if (now.equals(signature)) {
      return false;
    }
    HostKeySet loaded;
    try {
      loaded = source.loadSet();
    } catch (IOException | RuntimeException e) {
      if (!failing) {
        LOG.error("cannot reread the host keys: {}; keeping the last good ones", e.getMessage());
      }
      failing = true;
      return false;
    }
    failing = false;
    signature = now;
    HostKeySet before = current;
    current = loaded;
    if (!loaded.equals(before)) {
      publish();
      LOG.info(
          "host keys now: signing with {}{}{}",
          loaded.signing().publicKey().fingerprint(),
          loaded.next().isEmpty() ? "" : "; announcing the next key " + loaded.next(),
          loaded.retired().isEmpty() ? "" : "; retired " + loaded.retired());
      return true;
    }
    return false;
  }

  private String signature() {
    StringBuilder out = new StringBuilder();
    for (Path file : List.of(source.location(), source.nextLocation())) {
      try {
        out.append(
                Files.readAttributes(
                    file,
                    "unix:size,lastModifiedTime,fileKey,mode,uid,ctime",
                    LinkOption.NOFOLLOW_LINKS))
            .append(';');
      } catch (IOException | UnsupportedOperationException e) {
        out.append("absent;");
      }
    }
    return out.toString();
  }
}
