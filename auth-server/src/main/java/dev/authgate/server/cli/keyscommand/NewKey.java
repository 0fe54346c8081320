package dev.authgate.server.cli.keyscommand;

import dev.authgate.server.keystore.KeystoreDirectory;
import dev.authgate.server.keystore.Rotation;
import java.io.IOException;
import java.io.PrintWriter;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The client that gets a new key, and where its credential goes (rotate, reinstate). */
final class NewKey {
  @Parameters(paramLabel = "ID", description = "Client id")
  String clientId;

  @Option(
      names = "--out",
      paramLabel = "FILE",
      description = "Where to write the new credential (default: ID.credential; - for stdout).")
  String out;

  CredentialOut target() throws IOException {
    return CredentialOut.of(out, clientId);
  }

  /**
   * Gives the client its new key: audited first and made under the keystore's lock ({@code make}),
   * its credential written to {@code target} (stdout is {@code out}, stderr {@code err}); a
   * credential that cannot be written undoes the key.
   */
  Rotation issue(
      KeystoreDirectory dir,
      AuditLogOption auditLog,
      CredentialOut target,
      PrintWriter out,
      PrintWriter err,
      AuditLogOption.Intent intent,
      AuditLogOption.Change<Rotation> make)
      throws IOException {
    return auditLog.audited(
        dir,
        intent,
        () -> {
          Rotation made = make.apply();
          target.write(made.credential(), out, err, () -> dir.rotations().undo(clientId, made));
          return made;
        });
  }
}
