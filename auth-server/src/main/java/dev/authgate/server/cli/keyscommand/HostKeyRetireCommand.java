package dev.authgate.server.cli.keyscommand;

import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.keystore.HostKeys;
import dev.authgate.server.keystore.KeystoreDirectory;
import java.io.IOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

@Command(
    name = "retire",
    mixinStandardHelpOptions = true,
    description =
        "End a rotation: the next key becomes the host key and the old one is retired (verified"
            + " machines drop it from their pins). A machine that never connected during the"
            + " overlap is refused with a message naming both fingerprints.")
final class HostKeyRetireCommand implements Callable<Integer> {
  @Mixin KeystoreOption keystore;
  @Mixin AuditLogOption auditLog;
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    HostKeys keys = keystore.hostKeys();
    KeystoreDirectory dir = keystore.open();
    dir.prepare();
    String current = keys.load().fingerprint();
    HostKeys.Retired retired =
        HostKeyCommand.hostKeyChange(
            () ->
                auditLog.audited(
                    dir,
                    () ->
                        AuditEvent.of(AuditEventType.KEYS_HOST_KEY_RETIRED)
                            .with("retired", current)
                            .with(
                                "host_key",
                                keys.loadNext()
                                    .map(n -> n.key().publicKey().fingerprint())
                                    .orElse(null)),
                    keys::retire));
    String now = retired.current().key().publicKey().fingerprint();
    spec.commandLine().getOut().println(now);
    spec.commandLine()
        .getErr()
        .println(
            (retired.fingerprint() == null
                ? "the rotation had already been finished; removed the leftover next key"
                : "retired "
                    + retired.fingerprint()
                    + "; servers sign with "
                    + now
                    + " from their next look (copy host.key to the other servers of a cluster"
                    + " that do not share this keystore)"));
    return 0;
  }
}
