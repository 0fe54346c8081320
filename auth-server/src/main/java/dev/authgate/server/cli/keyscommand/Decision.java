package dev.authgate.server.cli.keyscommand;

import dev.authgate.protocol.keyfile.ClientKeys;
import dev.authgate.protocol.text.TerminalText;
import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.keystore.KeystoreDirectory;
import java.io.IOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code approve} and {@code deny}: an audited decision on a client waiting for approval. */
abstract class Decision implements Callable<Integer> {
  @Mixin KeystoreOption keystore;
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(paramLabel = "ID", description = "Client id")
  String clientId;

  @Mixin AuditLogOption auditLog;

  /** The audit event. */
  abstract AuditEventType event();

  /** Applies the decision to the keystore. */
  abstract void decide(KeystoreDirectory keys) throws IOException;

  /** What the operator is told afterwards. */
  abstract String said();

  @Option(
      names = "--fingerprint",
      paramLabel = "SHA256:…",
      description =
          "The key fingerprint the machine printed when it enrolled: the decision is made only"
              + " if the waiting key is that one (so you decide on the machine you mean).")
  String fingerprint;

  @Override
  public Integer call() throws IOException {
    KeystoreDirectory dir = keystore.open();
    dir.enrollmentTokens().requirePending(clientId);
    String[] waiting = new String[1];
    auditLog.audited(
        dir,
        () -> {
          // Checked under the keystore's lock, so the key decided on is the one compared.
          waiting[0] = waitingKey(dir);
          return AuditEvent.of(event()).with("client_id", clientId).with("fingerprint", waiting[0]);
        },
        () -> {
          decide(dir);
          return null;
        });
    spec.commandLine().getErr().println(said() + " (key " + waiting[0] + ")");
    return 0;
  }

  private String waitingKey(KeystoreDirectory dir) throws IOException {
    ClientKeys pending = dir.enrollmentTokens().requirePending(clientId);
    String waiting =
        pending.keys().isEmpty()
            ? "none"
            : pending.keys().get(pending.keys().size() - 1).verifier().fingerprint();
    if (fingerprint != null && !fingerprint.equals(waiting)) {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(),
          "'"
              + clientId
              + "' waits with key "
              + waiting
              + ", not "
              + TerminalText.escape(fingerprint)
              + ": nothing decided; check which machine enrolled as '"
              + clientId
              + "'");
    }
    return waiting;
  }
}
