package dev.authgate.protocol.keyfile;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;
import java.util.UUID;

/**
 * Reading and writing private key files the way OpenSSH does: mode 0600, directories 0700, atomic
 * replacement (temp file, fsync, rename), and refusal of files that group or others can read.
 * Stateless and thread-safe.
 */
public final class KeyFiles {
  /** Largest key file read; real ones are a few hundred bytes. */
  public static final int MAX_FILE_BYTES = 64 * 1024;

  /** The prefix of temporary files; readers of a keystore directory skip them. */
  public static final String TEMP_PREFIX = ".tmp-";

  private static final Set<PosixFilePermission> OPEN_TO_OTHERS =
      EnumSet.of(
          PosixFilePermission.GROUP_READ,
          PosixFilePermission.GROUP_WRITE,
          PosixFilePermission.GROUP_EXECUTE,
          PosixFilePermission.OTHERS_READ,
          PosixFilePermission.OTHERS_WRITE,
          PosixFilePermission.OTHERS_EXECUTE);

  private KeyFiles() {}

  /**
   * Reads a private key file as UTF-8 after checking it is a regular file, not larger than {@link
   * #MAX_FILE_BYTES}, and not accessible to group or others.
   *
   * @throws KeyFileException naming the file and the fix
   */
  public static String readPrivate(Path file) throws KeyFileException {
    try {
      if (!Files.isRegularFile(file)) {
        throw new KeyFileException(
            file,
            Files.exists(file)
                ? file + " is not a regular file"
                : "key file " + file + " does not exist");
      }
      requireNotOpenToOthers(file, "600");
      if (Files.size(file) > MAX_FILE_BYTES) {
        throw new KeyFileException(file, file + " is larger than " + MAX_FILE_BYTES + " bytes");
      }
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (AccessDeniedException e) {
      throw new KeyFileException(file, "cannot read " + file + ": permission denied", e);
    } catch (NoSuchFileException e) {
      throw new KeyFileException(file, "key file " + file + " does not exist", e);
    } catch (KeyFileException e) {
      throw e;
    } catch (IOException e) {
      throw new KeyFileException(file, "cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Refuses a file or directory that group or others can access.
   *
   * @param mode the chmod mode that fixes it ("600" for files, "700" for directories)
   */
  public static void requireNotOpenToOthers(Path path, String mode) throws IOException {
    Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(path);
    if (openToOthers(permissions)) {
      throw new KeyFileException(
          path,
          path
              + " is accessible by group or others (mode "
              + octal(permissions)
              + "); run: chmod "
              + mode
              + " "
              + path);
    }
  }

  /** Whether any group or other permission is among {@code permissions}. */
  public static boolean openToOthers(Set<PosixFilePermission> permissions) {
    return permissions.stream().anyMatch(OPEN_TO_OTHERS::contains);
  }

  /** {@code 0644} for rw-r--r--. */
  public static String octal(Set<PosixFilePermission> permissions) {
    int mode = 0;
    for (PosixFilePermission p : permissions) {
      mode |= 1 << (8 - p.ordinal());
    }
    return String.format(java.util.Locale.ROOT, "%04o", mode);
  }

  /** Creates {@code dir} (and parents) with mode 0700 if missing; tightens it to 0700 if not. */
  public static void ensurePrivateDirectory(Path dir) throws IOException {
    Files.createDirectories(dir);
    Set<PosixFilePermission> privateMode = PosixFilePermissions.fromString("rwx------");
    // Only when needed: chmod of a directory that belongs to someone else fails ("Operation not
    // permitted") even when there is nothing to change, and then the caller's own check of who may
    // use the directory says more than that.
    if (!Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS).equals(privateMode)) {
      Files.setPosixFilePermissions(dir, privateMode);
    }
  }

  /**
   * Writes {@code content} to {@code file} atomically with mode 0600: a temporary file in the same
   * directory, written and forced, then linked or renamed into place. Readers see the old file or
   * the new one, never part of either.
   *
   * @param replace whether an existing file may be replaced; if false and the file exists, the
   *     write fails with {@link FileAlreadyExistsException} and nothing changes
   */
  public static void writePrivate(Path file, String content, boolean replace) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Path temp = dir.resolve(TEMP_PREFIX + UUID.randomUUID());
    try {
      try (FileChannel out =
          FileChannel.open(
              temp,
              EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
        ByteBuffer bytes = ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining()) {
          out.write(bytes);
        }
        out.force(true);
      }
      if (replace) {
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } else {
        Files.createLink(file, temp);
      }
      forceDirectory(dir);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  private static void forceDirectory(Path dir) {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      // Some file systems cannot sync a directory; the rename itself has still happened.
    }
  }
}
