package dev.authgate.server.upload;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;

/**
 * The uploads root, opened once when the server starts as a directory handle. Client directories
 * are opened relative to that handle, never by path, and before each upload the path is checked to
 * still be that same directory: swapping the root for a symbolic link (or another directory) while
 * the server runs makes uploads fail with {@code storage-error} instead of landing elsewhere.
 *
 * <p>Thread-safe: the handle's relative operations may be used from many threads.
 */
final class UploadRoot implements Closeable {
  private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

  private final Path path;
  private final Object fileKey;
  private final SecureDirectoryStream<Path> handle;

  private UploadRoot(Path path, Object fileKey, SecureDirectoryStream<Path> handle) {
    this.path = path;
    this.fileKey = fileKey;
    this.handle = handle;
  }

  /**
   * Opens {@code configured} (a symbolic link given as the setting is followed once, now).
   *
   * @throws IOException if it is not a directory or its file system has no directory handles
   */
  static UploadRoot open(Path configured) throws IOException {
    Path real = configured.toRealPath();
    BasicFileAttributes attributes =
        Files.readAttributes(real, BasicFileAttributes.class, NOFOLLOW);
    if (!attributes.isDirectory()) {
      throw new IOException("uploads directory " + configured + " is not a directory");
    }
    DirectoryStream<Path> stream = Files.newDirectoryStream(real);
    if (!(stream instanceof SecureDirectoryStream<Path> secure)) {
      stream.close();
      throw new IOException("the file system of " + real + " has no secure directory handles");
    }
    return new UploadRoot(real, attributes.fileKey(), secure);
  }

  /** The root's real path. */
  Path path() {
    return path;
  }

  /**
   * Checks that the root's path still names the directory opened at start.
   *
   * @throws IOException naming the root and what to do, if it was removed or replaced
   */
  void checkUnchanged() throws IOException {
    BasicFileAttributes now;
    try {
      now = Files.readAttributes(path, BasicFileAttributes.class, NOFOLLOW);
    } catch (NoSuchFileException e) {
      throw replaced("was removed");
    }
    if (now.isSymbolicLink()) {
      throw replaced("was replaced by a symbolic link");
    }
    if (!now.isDirectory() || (fileKey != null && !Objects.equals(fileKey, now.fileKey()))) {
      throw replaced("was replaced");
    }
  }

  private IOException replaced(String how) {
    return new IOException(
        "uploads directory "
            + path
            + " "
            + how
            + " since the server started; no file is stored until it is restored or the server"
            + " is restarted");
  }

  /**
   * Opens {@code root/clientId} relative to the root's handle, not following a symbolic link.
   *
   * @throws IOException if it is missing or is not a plain directory
   */
  SecureDirectoryStream<Path> openClient(String clientId) throws IOException {
    try {
      return handle.newDirectoryStream(path.getFileSystem().getPath(clientId), NOFOLLOW);
    } catch (FileSystemException e) {
      throw new IOException(
          path.resolve(clientId) + " is not a plain directory (a symbolic link?); refusing it", e);
    }
  }

  @Override
  public void close() throws IOException {
    handle.close();
  }
}
