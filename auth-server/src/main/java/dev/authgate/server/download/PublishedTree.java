package dev.authgate.server.download;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The published tree for one request: its root's real path (the configured setting is followed, as
 * for uploads) opened as a directory handle, after refusing a root that is or holds the keystore or
 * lies inside it. Client and shared directories are opened from that handle without following a
 * link.
 */
record PublishedTree(Path real, SecureDirectoryStream<Path> handle) implements Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(PublishedFiles.class);
  private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;
  private static final Set<Path> WARNED = ConcurrentHashMap.newKeySet();

  static PublishedTree open(Path root, Optional<Path> keystore) throws IOException {
    Path real;
    try {
      real = root.toRealPath();
    } catch (NoSuchFileException absent) {
      return new PublishedTree(root, null); // nothing published (yet)
    }
    if (keystore.isPresent()) {
      Path keys = realOrAbsolute(keystore.get());
      if (real.startsWith(keys) || keys.startsWith(real)) {
        throw new IOException(
            "published directory "
                + root
                + " resolves to "
                + real
                + ", which overlaps the keystore "
                + keys
                + "; nothing is served from it");
      }
    }
    DirectoryStream<Path> stream;
    try {
      stream = Files.newDirectoryStream(real);
    } catch (NotDirectoryException e) {
      return new PublishedTree(real, null);
    }
    if (!(stream instanceof SecureDirectoryStream<Path> secure)) {
      stream.close();
      throw new IOException("the file system of " + real + " has no secure directory handles");
    }
    return new PublishedTree(real, secure);
  }

  private static Path realOrAbsolute(Path path) {
    try {
      return path.toRealPath();
    } catch (IOException e) {
      return path.toAbsolutePath().normalize();
    }
  }

  /**
   * {@code real/dir} opened without following a link, or null if it does not exist. A link there is
   * refused (logged) and treated as absent.
   */
  SecureDirectoryStream<Path> directory(String dir) throws IOException {
    if (handle == null) {
      return null;
    }
    try {
      return handle.newDirectoryStream(real.getFileSystem().getPath(dir), NOFOLLOW);
    } catch (NoSuchFileException | NotDirectoryException absent) {
      return null;
    } catch (FileSystemException e) {
      if (Files.isSymbolicLink(real.resolve(dir))) {
        warnOnce(real.resolve(dir));
        return null;
      }
      if (e instanceof AccessDeniedException) {
        // named relative to the handle: the audit log names the whole path
        throw new AccessDeniedException(real.resolve(dir).toString(), null, e.getReason());
      }
      throw e;
    }
  }

  /**
   * Said once per directory (per run), not at every request: a client listing in a loop must not
   * fill the server's log.
   */
  private static void warnOnce(Path link) {
    if (WARNED.size() < 10_000 && WARNED.add(link)) {
      LOG.warn(
          "not serving {}: it is a symbolic link; published directories must be real"
              + " directories (move the files there)",
          link);
    }
  }

  @Override
  public void close() throws IOException {
    if (handle != null) {
      handle.close();
    }
  }
}
