package dev.authgate.server.download;

import dev.authgate.protocol.crypto.Digests;
import dev.authgate.protocol.session.FileListing;
import dev.authgate.protocol.session.UploadNames;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
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

  private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

  private final Path root;
  private final Optional<Path> keystore;
  private final Map<Path, Hashed> hashes = new ConcurrentHashMap<>();

  /** Files under {@code root}, which need not exist yet. */
  public PublishedFiles(Path root) {
    this(root, Optional.empty());
  }

  /**
   * Files under {@code root}, which need not exist yet; a tree that resolves into {@code keystore}
   * (or holds it) is refused whole.
   */
  public PublishedFiles(Path root, Optional<Path> keystore) {
    this.root = root;
    this.keystore = keystore;
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
  List<FileListing.Entry> list(String clientId) throws IOException {
    Map<String, Published> view = new TreeMap<>(Comparator.naturalOrder());
    try (PublishedTree tree = PublishedTree.open(root, keystore)) {
      collect(tree, SHARED, true, view);
      if (!clientId.equals(SHARED)) {
        collect(tree, clientId, false, view);
      }
    }
    List<FileListing.Entry> entries = new ArrayList<>(view.size());
    for (Published file : view.values()) {
      byte[] sha256;
      try {
        sha256 = sha256(file);
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

  private static void collect(
      PublishedTree tree, String dir, boolean shared, Map<String, Published> view)
      throws IOException {
    try (SecureDirectoryStream<Path> files = tree.directory(dir)) {
      if (files == null) {
        return;
      }
      for (Path entry : files) {
        String name = entry.getFileName().toString();
        if (!visible(name)) {
          continue;
        }
        Path file = tree.real().resolve(dir).resolve(name);
        stateThrough(files, file)
            .ifPresent(s -> view.put(name, new Published(name, file, s, shared)));
      }
    }
  }

  /**
   * The state of {@code file}, only if the entry of that name in the directory handle (opened
   * without following links) is that same regular file: a directory swapped for a link in between
   * shows another identity and the file is left out.
   */
  private static Optional<State> stateThrough(SecureDirectoryStream<Path> dir, Path file)
      throws IOException {
    Optional<State> state = State.of(file);
    if (state.isEmpty()) {
      return state;
    }
    BasicFileAttributes a;
    try {
      a =
          dir.getFileAttributeView(file.getFileName(), BasicFileAttributeView.class, NOFOLLOW)
              .readAttributes();
    } catch (NoSuchFileException gone) {
      return Optional.empty();
    }
    boolean same = a.isRegularFile() && Objects.equals(a.fileKey(), state.get().fileKey());
    return same ? state : Optional.empty();
  }

  private static boolean visible(String name) {
    return !name.startsWith(".") && UploadNames.problem(name) == null;
  }

  /**
   * The file {@code name} as {@code clientId} sees it: its own, else the shared one.
   *
   * @return empty if there is no such file (or the name could never be published)
   */
  Optional<Published> find(String clientId, String name) throws IOException {
    if (!visible(name)) {
      return Optional.empty();
    }
    try (PublishedTree tree = PublishedTree.open(root, keystore)) {
      if (!clientId.equals(SHARED)) {
        Optional<Published> own = findIn(tree, clientId, name, false);
        if (own.isPresent()) {
          return own;
        }
      }
      return findIn(tree, SHARED, name, true);
    }
  }

  private static Optional<Published> findIn(
      PublishedTree tree, String dir, String name, boolean shared) throws IOException {
    try (SecureDirectoryStream<Path> files = tree.directory(dir)) {
      if (files == null) {
        return Optional.empty();
      }
      Path file = tree.real().resolve(dir).resolve(name);
      return stateThrough(files, file).map(s -> new Published(name, file, s, shared));
    }
  }

  /**
   * Opens a found file for reading through directory handles that follow no link, and only if it is
   * still the file that was found.
   *
   * @throws NoSuchFileException if it is gone or was replaced (the caller says "not found" or
   *     "changed")
   */
  FileChannel open(Published file) throws IOException {
    String dir = file.shared() ? SHARED : file.path().getParent().getFileName().toString();
    try (PublishedTree tree = PublishedTree.open(root, keystore);
        SecureDirectoryStream<Path> files = tree.directory(dir)) {
      if (files == null) {
        throw new NoSuchFileException(file.path().toString());
      }
      Path name = file.path().getFileName();
      SeekableByteChannel channel;
      try {
        channel = files.newByteChannel(name, Set.of(StandardOpenOption.READ, NOFOLLOW));
      } catch (AccessDeniedException e) {
        // named relative to the handle: the audit log names the whole path
        throw new AccessDeniedException(file.path().toString(), null, e.getReason());
      }
      if (!(channel instanceof FileChannel in)) {
        channel.close();
        throw new IOException("positional reads are not supported for " + file.path());
      }
      BasicFileAttributes a =
          files.getFileAttributeView(name, BasicFileAttributeView.class, NOFOLLOW).readAttributes();
      if (!a.isRegularFile() || !Objects.equals(a.fileKey(), file.state().fileKey())) {
        in.close();
        throw new NoSuchFileException(file.path().toString(), null, "replaced since it was found");
      }
      return in;
    }
  }

  /** The SHA-256 of a found file: cached for its state, else read (as {@link #open}) and hashed. */
  byte[] sha256(Published file) throws IOException {
    Hashed hashed = hashes.get(file.path());
    if (hashed != null && hashed.state().equals(file.state())) {
      return hashed.sha256().clone();
    }
    try (FileChannel in = open(file)) {
      return hash(file.path(), file.state(), in);
    }
  }

  private byte[] hash(Path file, State state, FileChannel in) throws IOException {
    MessageDigest digest = Digests.newSha256();
    ByteBuffer buffer = ByteBuffer.allocate(256 * 1024);
    long position = 0;
    for (int n = in.read(buffer.clear(), position); n >= 0; n = in.read(buffer.clear(), position)) {
      digest.update(buffer.array(), 0, buffer.position());
      position += n;
    }
    byte[] sha256 = digest.digest();
    // Kept only if the file did not change while it was read.
    if (State.of(file).equals(Optional.of(state))) {
      remember(file, state, sha256);
    }
    return sha256.clone();
  }

  /** Keeps {@code sha256} as the hash of {@code file} in {@code state} (e.g. after sending it). */
  void remember(Path file, State state, byte[] sha256) {
    if (hashes.size() >= MAX_CACHED) {
      hashes.clear();
    }
    hashes.put(file, new Hashed(state, sha256.clone()));
  }
}
