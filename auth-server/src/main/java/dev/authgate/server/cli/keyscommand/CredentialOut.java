package dev.authgate.server.cli.keyscommand;

import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.keyfile.KeyFileException;
import dev.authgate.protocol.keyfile.KeyFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where {@code keys add} and {@code keys rotate} put a new credential: a mode-0600 file that must
 * not exist yet ({@code ID.credential} by default), or stdout for {@code --out -}. Checked before
 * the keystore changes; if the file then cannot be written, the keystore change is undone.
 */
final class CredentialOut {
  /** Undoes the keystore change whose credential could not be saved. */
  interface Undo {
    void run() throws IOException;
  }

  private final Path file;

  private CredentialOut(Path file) {
    this.file = file;
  }

  /**
   * The target for {@code --out} (null: the default for {@code clientId}).
   *
   * @throws FileAlreadyExistsException if the file exists: a credential is never overwritten
   */
  static CredentialOut of(String out, String clientId) throws FileAlreadyExistsException {
    String target = out == null ? clientId + ".credential" : out;
    Path file = target.equals("-") ? null : Path.of(target);
    if (file != null && Files.exists(file)) {
      throw new FileAlreadyExistsException(
          file + " already exists; choose another --out or move it away first");
    }
    return new CredentialOut(file);
  }

  /** Writes the credential, or undoes the keystore change and explains, if it cannot. */
  void write(Credential credential, PrintWriter stdout, PrintWriter err, Undo undo)
      throws IOException {
    if (file == null) {
      ExposedStdout.warn(
          err, "the credential's secret", ", or write it with --out FILE (made 0600)");
      stdout.print(credential.format());
      stdout.flush();
      return;
    }
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      KeyFiles.writePrivate(file, credential.format(), false);
    } catch (IOException e) {
      undo.run();
      throw new KeyFileException(
          file,
          "cannot write credential "
              + file
              + ": "
              + e.getMessage()
              + "; the keystore was left as it was",
          e);
    }
  }

  /** Tells the operator where the credential went and what to do with it (nothing for stdout). */
  void report(PrintWriter err, String advice) {
    if (file != null) {
      err.println("credential written to " + file + " (mode 0600): " + advice);
    }
  }
}
