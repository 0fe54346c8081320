package dev.authgate.server.cli.keyscommand;

import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.crypto.ScramKeys;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.keystore.KeystoreDirectory;
import dev.authgate.server.keystore.Rotation;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

@Command(
    name = "reinstate",
    mixinStandardHelpOptions = true,
    description = {
      "Give a revoked client a new key, letting its id in again. The only way to do that:",
      "'add' and 'rotate' refuse a revoked id. Written to the audit log as keys.reinstated."
    })
final class ReinstateCommand implements Callable<Integer> {
  @Mixin KeystoreOption keystore;
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin NewKey newKey;

  @Mixin AuditLogOption auditLog;

  @Override
  public Integer call() throws IOException {
    CredentialOut target = newKey.target();
    KeystoreDirectory dir = keystore.open();
    byte[] secret = RandomSource.secure().bytes(32);
    String fingerprint = ScramKeys.fromSaltedPassword(secret).verifier().fingerprint();
    {
      Rotation rotation =
          newKey.issue(
              dir,
              auditLog,
              target,
              spec.commandLine().getOut(),
              spec.commandLine().getErr(),
              () ->
                  AuditEvent.of(AuditEventType.KEYS_REINSTATED)
                      .with("client_id", newKey.clientId)
                      .with("key_id", dir.rotations().nextKeyIdOf(newKey.clientId))
                      .with("fingerprint", fingerprint),
              () -> dir.rotations().reinstate(newKey.clientId, secret));
      Credential credential = rotation.credential();
      PrintWriter err = spec.commandLine().getErr();
      err.println(
          "reinstated client '"
              + newKey.clientId
              + "' with new key "
              + credential.keyId()
              + " ("
              + fingerprint
              + "); its revoked keys stay refused; audited in "
              + auditLog.file);
      target.report(err, "copy it to the client machine, then delete it here");
    }
    return 0;
  }
}
