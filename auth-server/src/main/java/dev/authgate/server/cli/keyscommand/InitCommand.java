package dev.authgate.server.cli.keyscommand;

import dev.authgate.server.keystore.HostKeys;
import java.io.IOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

@Command(
    name = "init",
    mixinStandardHelpOptions = true,
    description = {
      "Make the keystore directory (mode 0700) and this server's host key (KEYS/host.key, mode"
          + " 0600) if they are missing; never replaces a key. Prints the host key's"
          + " fingerprint, which machines pin.",
      "With $CREDENTIALS_DIRECTORY/"
          + HostKeys.CREDENTIAL_NAME
          + " (a systemd credential)"
          + " that key is used and nothing is written."
    })
final class InitCommand implements Callable<Integer> {
  @Mixin KeystoreOption keystore;
  @Mixin AuditLogOption auditLog;
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    HostKeyInfo hostKey = keystore.ensureHostKey(auditLog);
    spec.commandLine().getOut().println(hostKey.fingerprint());
    spec.commandLine()
        .getErr()
        .println(
            (hostKey.created() ? "made the host key " : "the host key is already ")
                + hostKey.from()
                + ": "
                + hostKey.fingerprint());
    return 0;
  }
}
