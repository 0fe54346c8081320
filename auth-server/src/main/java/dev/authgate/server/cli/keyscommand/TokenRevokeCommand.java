package dev.authgate.server.cli.keyscommand;

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
    description = "Revoke a token: enrollments with it are refused from now on.")
final class TokenRevokeCommand implements Callable<Integer> {
  @Mixin KeystoreOption keystore;
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(paramLabel = "TOKEN-ID", description = "The token's id (16 hex digits).")
  String tokenId;

  @Mixin AuditLogOption auditLog;

  @Override
  public Integer call() throws IOException {
    KeystoreDirectory dir = keystore.open();
    dir.enrollmentTokens().requireKnown(tokenId);
    auditLog.audited(
        dir,
        () -> AuditEvent.of(AuditEventType.ENROLL_TOKEN_REVOKED).with("token_id", tokenId),
        () -> dir.enrollmentTokens().revoke(tokenId));
    spec.commandLine().getErr().println("revoked token " + tokenId);
    return 0;
  }
}
