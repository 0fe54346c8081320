package dev.authgate.server.cli.keyscommand;

import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.keystore.KeystoreDirectory;
import java.io.IOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "unlock",
    mixinStandardHelpOptions = true,
    description =
        "Lift the lock the server put on a client whose replaced key was used (two machines with"
            + " one credential, audited as auth.clone-suspected). Whoever holds its newest key gets"
            + " in; a copy of an older key that tries again locks it again: remove the copy, or"
            + " give the genuine machine a new credential with 'keys rotate ID'.")
final class UnlockCommand implements Callable<Integer> {
  @Mixin KeystoreOption keystore;
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(paramLabel = "ID", description = "Client id")
  String clientId;

  @Mixin AuditLogOption auditLog;

  @Override
  public Integer call() throws IOException {
    KeystoreDirectory dir = keystore.open();
    boolean unlocked =
        auditLog.auditedFor(
            dir,
            clientId,
            AuditEventType.KEYS_UNLOCKED,
            () -> dir.selfRotations().unlock(clientId));
    spec.commandLine()
        .getErr()
        .println(
            unlocked
                ? "unlocked client '"
                    + clientId
                    + "': a running server lets its newest key in within seconds"
                : "client '" + clientId + "' was not locked; nothing changed");
    return 0;
  }
}
