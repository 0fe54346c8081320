package dev.authgate.client.upload;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * Local file names as this JVM reads them: bytes decoded with the locale's character set ({@code
 * sun.jnu.encoding}). A name whose bytes that set cannot decode (Latin-1 bytes in a UTF-8 locale,
 * anything past ASCII in the POSIX locale) comes out with replacement characters: sent as it is, it
 * would be stored under a name nobody wrote, and could not be found again to be moved or deleted.
 * Such a name is refused, saying why.
 */
public final class LocalNames {
  private LocalNames() {}

  /** Why {@code file}'s name cannot be sent as it is, or null if it can. */
  public static String problem(Path file) {
    Path name = file.getFileName();
    try {
      if (name.equals(Path.of(name.toString()))) {
        return null; // its text names the very same bytes
      }
    } catch (InvalidPathException notEvenEncodable) {
      // Falls through: the text does not map back to any bytes.
    }
    return notText();
  }

  /**
   * Why {@code argument}, a file named on the command line, stands for bytes this locale cannot
   * decode, or null: such an argument arrives with replacement characters and names no file.
   */
  public static String problem(String argument) {
    return argument.indexOf('\uFFFD') >= 0 ? notText() : null;
  }

  private static String notText() {
    Charset names = charset();
    if (names.equals(StandardCharsets.US_ASCII)) {
      return "its name is not ASCII, the character set of this process's locale (POSIX); run it"
          + " with a UTF-8 locale, e.g. LC_ALL=C.UTF-8";
    }
    return "its name is not valid " + names.name() + " (this process's locale); rename it";
  }

  private static Charset charset() {
    try {
      return Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"));
    } catch (IllegalArgumentException unknown) {
      return StandardCharsets.UTF_8;
    }
  }
}
