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
    name = "revoke",
    mixinStandardHelpOptions = true,
    description = "Revoke every key of a client; its connections are refused (revoked-key).")
final class RevokeCommand implements Callable<Integer> {
  @Mixin KeystoreOption keystore;
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(paramLabel = "ID", description = "Client id")
  String clientId;

  @Mixin AuditLogOption auditLog;

  @Override
  public Integer call() throws IOException {
    KeystoreDirectory dir = keystore.open();
    int revoked =
        auditLog.auditedFor(dir, clientId, AuditEventType.KEYS_REVOKED, () -> dir.revoke(clientId));
    spec.commandLine()
        .getErr()
        .println(
            "revoked "
                + revoked
                + " key(s) of client '"
                + clientId
                + "'; a running server refuses them and closes their sessions within seconds");
    return 0;
  }
}
