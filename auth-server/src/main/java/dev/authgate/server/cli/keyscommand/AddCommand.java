package dev.authgate.server.cli.keyscommand;

import dev.authgate.protocol.keyfile.ClientKeys;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.keystore.KeystoreDirectory;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "add",
    mixinStandardHelpOptions = true,
    description = "Provision a new client: verifiers go to the keystore, the secret to FILE.")
final class AddCommand implements Callable<Integer> {
  @Mixin KeystoreOption keystore;
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(paramLabel = "ID", description = "Client id: 1-64 of A-Z a-z 0-9 . _ -")
  String clientId;

  @Option(
      names = "--out",
      paramLabel = "FILE",
      description = "Where to write the client credential (default: ID.credential; - for stdout).")
  String out;

  @Mixin AuditLogOption auditLog;

  @Override
  public Integer call() throws IOException {
    KeystoreDirectory dir = keystore.open();
    dir.requireNotRevoked(clientId, KeystoreDirectory.ADD_REVOKED);
    CredentialOut target = CredentialOut.of(out, clientId);
    dir.prepare();
    HostKeyInfo hostKey = keystore.ensureHostKey(auditLog);
    Credential credential =
        auditLog.audited(
            dir,
            () -> {
              dir.requireNew(clientId);
              return AuditEvent.of(AuditEventType.KEYS_ADDED)
                  .with("client_id", clientId)
                  .with("key_id", "k1");
            },
            () -> {
              // Written under the keystore's lock: if the credential cannot be saved, the
              // undo cannot undo anyone else's change, and the failure is audited.
              Credential made = dir.add(clientId);
              target.write(
                  made,
                  spec.commandLine().getOut(),
                  spec.commandLine().getErr(),
                  () -> Files.deleteIfExists(dir.path().resolve(ClientKeys.fileName(clientId))));
              return made;
            });
    PrintWriter stderr = spec.commandLine().getErr();
    stderr.println(
        "provisioned client '"
            + clientId
            + "' key "
            + credential.keyId()
            + " ("
            + credential.scramKeys().verifier().fingerprint()
            + ") in "
            + dir.path());
    stderr.println(
        "the server's host key is "
            + hostKey.fingerprint()
            + (hostKey.created() ? " (made now, " + hostKey.from() + ")" : ""));
    target.report(stderr, "copy it to the client machine, then delete it here");
    return 0;
  }
}
