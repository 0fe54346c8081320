package dev.authgate.server.keystore;

import dev.authgate.protocol.keyfile.KeyFileException;
import dev.authgate.protocol.text.IoErrors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

/**
 * Who may own and open the keystore, as OpenSSH checks {@code authorized_keys}: the directory and
 * every key file must belong to the server's effective user (or root), must not be symbolic links,
 * and must not be open to group or others. Each refusal names the path and the command that fixes
 * it. Stateless and thread-safe.
 */
public final class FileOwnership {
  private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;
  private static final Set<PosixFilePermission> OPEN_TO_OTHERS =
      EnumSet.complementOf(
          EnumSet.of(
              PosixFilePermission.OWNER_READ,
              PosixFilePermission.OWNER_WRITE,
              PosixFilePermission.OWNER_EXECUTE));

  private final int ownerUid;

  FileOwnership(int ownerUid) {
    this.ownerUid = ownerUid;
  }

  /** Checks as the running process: its effective uid (from /proc), or its uid. */
  static FileOwnership ofThisProcess() {
    return new FileOwnership(EffectiveUid.get());
  }

  /**
   * Refuses root at a keystore directory that belongs to another user (the service's): every file
   * root made there (a key file, the host key) the service could not read, and handing the
   * directory to root would lock the service out. Nothing for a directory that does not exist yet,
   * or root's own.
   *
   * @throws KeyFileException naming the owner and the {@code runuser} that works instead
   */
  public static void refuseRootAtAnotherUsersKeystore(Path dir) throws KeyFileException {
    if (EffectiveUid.get() != 0 || !Files.isDirectory(dir, NOFOLLOW)) {
      return;
    }
    PosixFileAttributes a = attributes(dir, "keystore directory");
    new FileOwnership(0).checkOwner(dir, "keystore directory", a);
  }

  /** Refuses a keystore directory that is a symlink, someone else's, or open to others. */
  void checkDirectory(Path dir) throws KeyFileException {
    PosixFileAttributes a = attributes(dir, "keystore directory");
    if (a.isSymbolicLink()) {
      throw new KeyFileException(
          dir,
          "keystore directory "
              + dir
              + " is a symbolic link; point --keys at the directory itself ("
              + realPath(dir)
              + ")");
    }
    checkOwner(dir, "keystore directory", a);
    if (a.permissions().stream().anyMatch(OPEN_TO_OTHERS::contains)) {
      throw new KeyFileException(
          dir,
          "keystore directory " + dir + " is accessible by group or others; run: chmod 700 " + dir);
    }
  }

  /** Refuses a key file that is a symlink or someone else's; modes are checked when it is read. */
  void checkFile(Path file) throws KeyFileException {
    PosixFileAttributes a = attributes(file, "key file");
    if (a.isSymbolicLink()) {
      throw new KeyFileException(
          file,
          file
              + " is a symbolic link; key files must be regular files: replace it with the file"
              + " it points to (cp --remove-destination \"$(readlink -f "
              + file
              + ")\" "
              + file
              + ")");
    }
    checkOwner(file, "key file", a);
  }

  private void checkOwner(Path path, String what, PosixFileAttributes a) throws KeyFileException {
    int uid = uid(path);
    if (uid != ownerUid && uid != 0 && ownerUid == 0 && a.isDirectory()) {
      // Root at the service's keystore: what root writes there the service could not read, and
      // handing the directory to root would lock the service out. Run as its user instead.
      String owner = a.owner().getName();
      throw new KeyFileException(
          path,
          what
              + " "
              + path
              + " belongs to "
              + owner
              + " (uid "
              + uid
              + "), the server's user: run this command as that user, e.g. runuser -u "
              + owner
              + " -- auth-server …, not as root (files root made there, the server could not"
              + " read)");
    }
    if (uid != ownerUid && uid != 0) {
      throw new KeyFileException(
          path,
          what
              + " "
              + path
              + " is owned by uid "
              + uid
              + ", not by the server's user (uid "
              + ownerUid
              + ") or root; run: chown "
              + ownerUid
              + " "
              + path);
    }
  }

  private static PosixFileAttributes attributes(Path path, String what) throws KeyFileException {
    try {
      return Files.readAttributes(path, PosixFileAttributes.class, NOFOLLOW);
    } catch (IOException e) {
      throw new KeyFileException(
          path, "cannot check " + what + " " + path + ": " + IoErrors.reason(e), e);
    }
  }

  private static int uid(Path path) throws KeyFileException {
    try {
      return (Integer) Files.getAttribute(path, "unix:uid", NOFOLLOW);
    } catch (IOException | UnsupportedOperationException e) {
      String why = e instanceof IOException io ? IoErrors.reason(io) : "not a POSIX file system";
      throw new KeyFileException(path, "cannot read the owner of " + path + ": " + why, e);
    }
  }

  private static String realPath(Path path) {
    try {
      return path.toRealPath().toString();
    } catch (IOException e) {
      return "a dangling link";
    }
  }

  /** The effective uid of this process. */
  static final class EffectiveUid {
    private EffectiveUid() {}

    static int get() {
      try {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
          if (line.startsWith("Uid:")) {
            return Integer.parseInt(line.split("\\s+")[2]);
          }
        }
      } catch (IOException | RuntimeException e) {
        // Not Linux, or /proc is not mounted: fall back to the real uid below.
      }
      return (int) new com.sun.security.auth.module.UnixSystem().getUid();
    }
  }

  /**
   * "is not readable by nobody (owned by root, mode 0700); run this as root, e.g. sudo -u root …":
   * the usual cause is an operator running {@code keys} as themselves against the service's
   * keystore.
   */
  static String notYours(Path path) {
    String owner = IoErrors.ownerAndMode(path);
    String who = IoErrors.user();
    if (owner.isEmpty()) {
      return "is not readable by " + who + "; run this command as the keystore's owner";
    }
    String ownerName = owner.substring("owned by ".length(), owner.indexOf(','));
    return "is not readable by "
        + who
        + " ("
        + owner
        + "); run this command as "
        + ownerName
        + ", e.g. sudo -u "
        + ownerName
        + " auth-server …";
  }
}
