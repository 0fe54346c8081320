package dev.authgate.server.cli.keyscommand;

import dev.authgate.protocol.keyfile.KeyFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;

/**
 * A secret printed to stdout ({@code keys add --out -}, {@code keys token create}) that a shell
 * redirected into a file ({@code > sensor-1.credential}) lands with the shell's umask, usually
 * readable by everyone. Said once on stderr, before the secret is written: the command still prints
 * it (the operator asked), but not silently into a world-readable file.
 */
final class ExposedStdout {
  private ExposedStdout() {}

  /**
   * Warns on {@code err} if this process's stdout is a file others may read; {@code instead} ends
   * the advice (", or write it with --out FILE (made 0600)", or nothing).
   */
  static void warn(PrintWriter err, String what, String instead) {
    String warning = warning(Path.of("/proc/self/fd/1"), what, instead);
    if (warning != null) {
      err.println("auth-server: warning: " + warning);
      err.flush();
    }
  }

  /**
   * What to say if {@code stdout} (a path that leads to where stdout goes, e.g. {@code
   * /proc/self/fd/1}) is a regular file with group or other access; null for a terminal, a pipe, a
   * private file, or anything that cannot be told.
   */
  static String warning(Path stdout, String what, String instead) {
    try {
      // The attributes of what the descriptor is open on (the link is followed to the very file,
      // even renamed); its path only for the message.
      PosixFileAttributes a = Files.readAttributes(stdout, PosixFileAttributes.class);
      if (!a.isRegularFile()) {
        return null;
      }
      if (!KeyFiles.openToOthers(a.permissions())) {
        return null;
      }
      Path file = stdout.toRealPath();
      return what
          + " is going to "
          + file
          + ", which group or others may read (mode "
          + KeyFiles.octal(a.permissions())
          + "): chmod 600 "
          + file
          + " now"
          + instead;
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return null; // not a file, not on a POSIX file system, or not ours to inspect
    }
  }
}
