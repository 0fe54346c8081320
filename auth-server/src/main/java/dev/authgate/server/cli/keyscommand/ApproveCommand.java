package dev.authgate.server.cli.keyscommand;

import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.keystore.KeystoreDirectory;
import java.io.IOException;
import picocli.CommandLine.Command;

@Command(
    name = "approve",
    mixinStandardHelpOptions = true,
    description = "Let in a machine that enrolled with an --approve token.")
final class ApproveCommand extends Decision {
  @Override
  AuditEventType event() {
    return AuditEventType.ENROLL_APPROVED;
  }

  @Override
  void decide(KeystoreDirectory keys) throws IOException {
    keys.enrollmentTokens().approve(clientId);
  }

  @Override
  String said() {
    return "approved '" + clientId + "': a running server lets it in within seconds";
  }
}
