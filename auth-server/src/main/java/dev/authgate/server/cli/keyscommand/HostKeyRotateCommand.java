package dev.authgate.server.cli.keyscommand;

import dev.authgate.protocol.keyfile.HostKeyFile;
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
    name = "rotate",
    mixinStandardHelpOptions = true,
    description =
        "Make the next host key (KEYS/host-next.key). Servers sharing this keystore announce it"
            + " to verified machines from their next look (within seconds); keep both until"
            + " every machine has connected, then run 'keys host-key retire'.")
final class HostKeyRotateCommand implements Callable<Integer> {
  @Mixin KeystoreOption keystore;
  @Mixin AuditLogOption auditLog;
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    HostKeys keys = keystore.hostKeys();
    KeystoreDirectory dir = keystore.open();
    dir.prepare();
    String current = keys.load().fingerprint();
    HostKeyFile next =
        HostKeyCommand.hostKeyChange(
            () ->
                auditLog.audited(
                    dir,
                    () ->
                        AuditEvent.of(AuditEventType.KEYS_HOST_KEY_ROTATED)
                            .with("host_key", current)
                            .with("file", keys.nextLocation().toString()),
                    keys::rotate));
    spec.commandLine().getOut().println(next.key().publicKey().fingerprint());
    spec.commandLine()
        .getErr()
        .println(
            "made the next host key "
                + next.key().publicKey().fingerprint()
                + " ("
                + keys.nextLocation()
                + "); servers sign with "
                + current
                + " and announce the next key to every machine that connects. Copy "
                + keys.nextLocation().getFileName()
                + " to the other servers of a cluster that do not share this keystore. When"
                + " every machine has connected, run: auth-server keys host-key retire --keys "
                + dir.path());
    return 0;
  }
}
