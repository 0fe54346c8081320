package dev.authgate.server.upload;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One client's upload directory, opened as a directory handle without following symbolic links.
 * Every file operation is relative to the handle, so swapping the directory (or a file in it) for a
 * symlink cannot make a write or rename land outside it.
 *
 * <p>Not thread-safe; one per upload, closed when the upload ends.
 */
final class ClientDirectory implements Closeable {
  private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};

  private final Path path;
  private final SecureDirectoryStream<Path> handle;

  private ClientDirectory(Path path, SecureDirectoryStream<Path> handle) {
    this.path = path;
    this.handle = handle;
  }

  /**
   * Opens (creating if needed) {@code root/clientId}, relative to the root's handle after checking
   * the root was not replaced.
   *
   * @throws IOException if it cannot be created or opened, is a symbolic link, or the root was
   *     replaced
   */
  static ClientDirectory open(UploadRoot root, String clientId) throws IOException {
    root.checkUnchanged();
    Path dir = root.path().resolve(clientId);
    if (!Files.exists(dir, NOFOLLOW)) {
      try {
        createPrivateDirectory(dir);
      } catch (java.nio.file.FileAlreadyExistsException e) {
        // Another upload of this client created it first.
      }
    }
    return new ClientDirectory(dir, root.openClient(clientId));
  }

  private static void createPrivateDirectory(Path dir) throws IOException {
    try {
      Files.createDirectory(
          dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (UnsupportedOperationException e) {
      Files.createDirectory(dir);
    }
  }

  private Path name(String name) {
    return path.getFileSystem().getPath(name);
  }

  /** The size of {@code name}, or -1 if it does not exist. Symbolic links are not followed. */
  long sizeOf(String name) throws IOException {
    try {
      return attributes(name).size();
    } catch (NoSuchFileException e) {
      return -1;
    }
  }

  private BasicFileAttributes attributes(String name) throws IOException {
    return handle
        .getFileAttributeView(name(name), BasicFileAttributeView.class, NOFOLLOW)
        .readAttributes();
  }

  /** Every entry with its attributes. */
  List<Entry> entries() throws IOException {
    List<Entry> entries = new ArrayList<>();
    for (Path entry : handle) {
      String name = entry.getFileName().toString();
      try {
        entries.add(new Entry(name, attributes(name)));
      } catch (NoSuchFileException e) {
        // Removed while listing.
      }
    }
    return entries;
  }

  /** Opens {@code name} for writing with mode 0600; appends or truncates. */
  FileChannel openForWrite(String name, boolean append) throws IOException {
    Set<OpenOption> options =
        Set.of(
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING,
            LinkOption.NOFOLLOW_LINKS);
    SeekableByteChannel channel =
        handle.newByteChannel(
            name(name),
            options,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    if (!(channel instanceof FileChannel file)) {
      channel.close();
      throw new IOException("cannot force writes to disk on the file system of " + path);
    }
    return file;
  }

  /** Opens {@code name} for reading. */
  SeekableByteChannel openForRead(String name) throws IOException {
    return handle.newByteChannel(
        name(name), Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS));
  }

  /** Renames {@code from} to {@code to} atomically within this directory. */
  void rename(String from, String to) throws IOException {
    handle.move(name(from), handle, name(to));
  }

  /** Deletes {@code name} if it exists. */
  void deleteIfExists(String name) {
    try {
      handle.deleteFile(name(name));
    } catch (IOException e) {
      // Already gone, or never created; nothing to clean up.
    }
  }

  /** Syncs the directory entry, best effort, so a rename survives a crash. */
  void sync() {
    try (FileChannel dir = FileChannel.open(path, StandardOpenOption.READ)) {
      dir.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // Not every file system can sync a directory; the rename has still happened.
    }
  }

  /** The directory's path, for messages. */
  Path path() {
    return path;
  }

  @Override
  public void close() throws IOException {
    handle.close();
  }

  /**
   * A directory entry.
   *
   * @param name the file name
   * @param attributes its attributes, not following links
   */
  record Entry(String name, BasicFileAttributes attributes) {}
}
