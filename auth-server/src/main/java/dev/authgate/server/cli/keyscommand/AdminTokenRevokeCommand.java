package dev.authgate.server.cli.keyscommand;

import dev.authgate.protocol.keyfile.AdminTokenFile;
import dev.authgate.server.audit.AuditEvent;
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
    description =
        "Revoke an admin token: every server sharing this keystore refuses it from its next"
            + " request, and the console sessions it opened end.")
final class AdminTokenRevokeCommand implements Callable<Integer> {
  @Mixin KeystoreOption keystore;
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(paramLabel = "NAME-OR-ID", description = "The token's name or id (16 hex digits).")
  String nameOrId;

  @Mixin AuditLogOption auditLog;

  @Override
  public Integer call() throws IOException {
    KeystoreDirectory dir = keystore.open();
    AdminTokenFile token = dir.adminTokens().find(nameOrId);
    auditLog.audited(
        dir,
        () ->
            AuditEvent.of(AuditEventType.ADMIN_TOKEN_REVOKED)
                .with("token_id", token.tokenId())
                .with("name", token.name()),
        () -> dir.adminTokens().revoke(token.tokenId()));
    spec.commandLine()
        .getErr()
        .println("revoked admin token '" + token.name() + "' (" + token.tokenId() + ")");
    return 0;
  }
}
