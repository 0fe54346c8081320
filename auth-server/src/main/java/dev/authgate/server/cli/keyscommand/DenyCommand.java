package dev.authgate.server.cli.keyscommand;

import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.keystore.KeystoreDirectory;
import java.io.IOException;
import picocli.CommandLine.Command;

@Command(
    name = "deny",
    mixinStandardHelpOptions = true,
    description =
        "Refuse for good a machine that enrolled with an --approve token (its key is revoked).")
final class DenyCommand extends Decision {
  @Override
  AuditEventType event() {
    return AuditEventType.ENROLL_DENIED;
  }

  @Override
  void decide(KeystoreDirectory keys) throws IOException {
    keys.enrollmentTokens().deny(clientId);
  }

  @Override
  String said() {
    return "denied '" + clientId + "': its key is revoked and stays refused";
  }
}
