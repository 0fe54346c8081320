package dev.authgate.protocol.text;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Locale;

/**
 * Words for file-system failures, for the one line an operator reads: the JDK's exceptions carry
 * only a path as their message ({@code AccessDeniedException: keys/a.keys}), so printing them shows
 * either a bare path or a Java class name. Stateless.
 */
public final class IoErrors {
  private IoErrors() {}

  /**
   * What went wrong, without the path: "permission denied (running as nobody)", "no such file or
   * directory", the OS's reason, or the message.
   */
  public static String reason(IOException e) {
    if (e instanceof AccessDeniedException) {
      return "permission denied (running as " + user() + ")";
    } else if (e instanceof NoSuchFileException) {
      return "no such file or directory";
    } else if (e instanceof FileAlreadyExistsException) {
      return "it already exists";
    } else if (e instanceof DirectoryNotEmptyException) {
      return "the directory is not empty";
    } else if (e instanceof NotDirectoryException) {
      return "not a directory";
    } else if (e instanceof FileSystemException f) {
      return f.getReason() == null ? "failed" : lowerFirst(f.getReason());
    }
    return e.getMessage() == null ? "input/output error" : e.getMessage();
  }

  /**
   * The path the JDK exception names (if any) and {@link #reason}: {@code keys/a.keys: permission
   * denied (running as nobody)}.
   */
  public static String describe(IOException e) {
    if (e instanceof FileSystemException f && f.getFile() != null) {
      return f.getFile() + ": " + reason(e);
    }
    return reason(e);
  }

  /**
   * Who may use {@code path}, for a message that asks the operator to run as someone else: {@code
   * owned by root, mode 0700}; empty if that cannot be read either.
   */
  public static String ownerAndMode(Path path) {
    try {
      PosixFileAttributes a =
          Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      int mode = 0;
      for (PosixFilePermission p : a.permissions()) {
        mode |= 1 << (8 - p.ordinal());
      }
      return String.format(Locale.ROOT, "owned by %s, mode %04o", a.owner().getName(), mode);
    } catch (IOException | UnsupportedOperationException e) {
      return "";
    }
  }

  /** The user this process runs as. */
  public static String user() {
    return System.getProperty("user.name", "this user");
  }

  private static String lowerFirst(String reason) {
    return reason.isEmpty()
        ? reason
        : Character.toLowerCase(reason.charAt(0)) + reason.substring(1);
  }
}
