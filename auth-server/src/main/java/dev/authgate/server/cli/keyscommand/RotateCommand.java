package dev.authgate.server.cli.keyscommand;

import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.cli.convert.DurationConverter;
import dev.authgate.server.keystore.KeyRotations;
import dev.authgate.server.keystore.KeystoreDirectory;
import dev.authgate.server.keystore.Rotation;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "rotate",
    mixinStandardHelpOptions = true,
    description =
        "Add a new key for a client; its other keys keep working until the grace period ends.")
final class RotateCommand implements Callable<Integer> {
  @Mixin KeystoreOption keystore;
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin NewKey newKey;

  @Option(
      names = "--grace",
      paramLabel = "DURATION",
      defaultValue = "24h",
      converter = DurationConverter.class,
      description = "How long the old keys keep working (default: ${DEFAULT-VALUE}).")
  java.time.Duration grace;

  @Mixin AuditLogOption auditLog;

  @Override
  public Integer call() throws IOException {
    KeystoreDirectory dir = keystore.open();
    dir.requireNotRevoked(newKey.clientId, KeyRotations.ROTATE_REVOKED);
    CredentialOut target = newKey.target();
    Rotation rotation =
        newKey.issue(
            dir,
            auditLog,
            target,
            spec.commandLine().getOut(),
            spec.commandLine().getErr(),
            () ->
                AuditEvent.of(AuditEventType.KEYS_ROTATED)
                    .with("client_id", newKey.clientId)
                    .with("key_id", dir.rotations().nextKeyIdOf(newKey.clientId))
                    .with("grace_s", grace.toSeconds()),
            () -> dir.rotations().rotate(newKey.clientId, grace));
    Credential credential = rotation.credential();
    PrintWriter err = spec.commandLine().getErr();
    err.println(
        "rotated client '"
            + newKey.clientId
            + "': new key "
            + credential.keyId()
            + " ("
            + credential.scramKeys().verifier().fingerprint()
            + "); older keys work until "
            + rotation.oldKeysUntil());
    target.report(err, "install it on the client before the grace period ends");
    return 0;
  }
}
