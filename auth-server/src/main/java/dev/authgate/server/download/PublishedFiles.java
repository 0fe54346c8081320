package dev.authgate.server.download;

import dev.authgate.protocol.crypto.Digests;
import dev.authgate.protocol.session.FileListing;
import dev.authgate.protocol.session.UploadNames;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The files published for machines: {@code ROOT/<client-id>/NAME} for one client and {@code
 * ROOT/_all/NAME} for every client; a client's own file wins over a shared one of the same name.
 * Only regular files directly in those directories count: not dotfiles (an operator's file being
 * written, to be renamed into place), not symbolic links, not subdirectories, not names the upload
 * rules refuse. Nothing is cached but hashes, so a file dropped in (by rename) is seen by the next
 * request, without a restart.
 *
 * <p>SHA-256s are kept per path and file state (identity, size, modification and change time), so
 * each version of a file is hashed once however often it is listed. Thread-safe.
 */
public final class PublishedFiles {
  /** The directory whose files every client may fetch. */
  public static final String SHARED = "_all";

  /** Hashes kept at most; past this the cache starts over (each version is hashed again once). */
  private static final int MAX_CACHED = 100_000;

  private final Path root;
  private final Map<Path, Hashed> hashes = new ConcurrentHashMap<>();

  /** Files under {@code root}, which need not exist yet. */
  public PublishedFiles(Path root) {
    this.root = root;
  }

  /** The published directory. */
  public Path root() {
    return root;
  }

  /**
   * What a file looked like: compared before and after it is sent, and keying its cached hash.
   *
   * @param fileKey its identity (device and inode), or null where unknown
   * @param size its size
   * @param modifiedNanos its modification time
   * @param changedNanos its change time (POSIX ctime), or -1 where unknown
   */
  public record State(Object fileKey, long size, long modifiedNanos, long changedNanos) {
    /** The state of {@code file} now, not following a link; empty if it is not a regular file. */
    public static Optional<State> of(Path file) throws IOException {
      BasicFileAttributes a;
      try {
        a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      } catch (NoSuchFileException gone) {
        return Optional.empty();
      }
      if (!a.isRegularFile()) {
        return Optional.empty();
      }
      long changed = -1;
      try {
        Object ctime = Files.getAttribute(file, "unix:ctime", LinkOption.NOFOLLOW_LINKS);
        if (ctime instanceof FileTime t) {
          changed = t.to(TimeUnit.NANOSECONDS);
        }
      } catch (UnsupportedOperationException | IllegalArgumentException e) {
        // Not a POSIX file system: size and modification time must do.
      }
      return Optional.of(
          new State(a.fileKey(), a.size(), a.lastModifiedTime().to(TimeUnit.NANOSECONDS), changed));
    }

    /** The modification time in milliseconds since the epoch. */
    public long modifiedMillis() {
      return TimeUnit.NANOSECONDS.toMillis(modifiedNanos);
    }
  }

  /**
   * A file a client may fetch.
   *
   * @param name its name
   * @param path where it is
   * @param state what it looked like when found
   * @param shared whether it is published for every client
   */
  public record Published(String name, Path path, State state, boolean shared) {}

  private record Hashed(State state, byte[] sha256) {}

  /** What {@code clientId} may fetch, by name, with sizes and SHA-256s. */
  public List<FileListing.Entry> list(String clientId) throws IOException {
    Map<String, Published> view = new TreeMap<>(Comparator.naturalOrder());
    collect(root.resolve(SHARED), true, view);
    if (!clientId.equals(SHARED)) {
      collect(root.resolve(clientId), false, view);
    }
    List<FileListing.Entry> entries = new ArrayList<>(view.size());
    for (Published file : view.values()) {
      byte[] sha256;
      try {
        sha256 = sha256(file.path(), file.state());
      } catch (NoSuchFileException gone) {
        continue; // removed while listing
      }
      entries.add(
          new FileListing.Entry(
              file.name(),
              file.state().size(),
              file.state().modifiedMillis(),
              sha256,
              file.shared()));
    }
    return entries;
  }

  private static void collect(Path dir, boolean shared, Map<String, Published> view)
      throws IOException {
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        if (!visible(name)) {
          continue;
        }
        Optional<State> state = State.of(file);
        state.ifPresent(s -> view.put(name, new Published(name, file, s, shared)));
      }
    } catch (NoSuchFileException | NotDirectoryException absent) {
      // Nothing published there (yet).
    }
  }

  private static boolean visible(String name) {
    return !name.startsWith(".") && UploadNames.problem(name) == null;
  }

  /**
   * The file {@code name} as {@code clientId} sees it: its own, else the shared one.
   *
   * @return empty if there is no such file (or the name could never be published)
   */
  public Optional<Published> find(String clientId, String name) throws IOException {
    if (!visible(name)) {
      return Optional.empty();
    }
    if (!clientId.equals(SHARED)) {
      Path own = root.resolve(clientId).resolve(name);
      Optional<State> state = State.of(own);
      if (state.isPresent()) {
        return Optional.of(new Published(name, own, state.get(), false));
      }
    }
    Path shared = root.resolve(SHARED).resolve(name);
    return State.of(shared).map(s -> new Published(name, shared, s, true));
  }

  /** The SHA-256 of {@code file} in {@code state}: cached, else read and hashed now. */
  public byte[] sha256(Path file, State state) throws IOException {
    Hashed hashed = hashes.get(file);
    if (hashed != null && hashed.state().equals(state)) {
      return hashed.sha256().clone();
    }
    MessageDigest digest = Digests.newSha256();
    ByteBuffer buffer = ByteBuffer.allocate(256 * 1024);
    try (FileChannel in =
        FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      while (in.read(buffer.clear()) >= 0) {
        digest.update(buffer.array(), 0, buffer.position());
      }
    }
    byte[] sha256 = digest.digest();
    // Kept only if the file did not change while it was read.
    if (State.of(file).equals(Optional.of(state))) {
      remember(file, state, sha256);
    }
    return sha256.clone();
  }

  /** Keeps {@code sha256} as the hash of {@code file} in {@code state} (e.g. after sending it). */
  public void remember(Path file, State state, byte[] sha256) {
    if (hashes.size() >= MAX_CACHED) {
      hashes.clear();
    }
    hashes.put(file, new Hashed(state, sha256.clone()));
  }
}
