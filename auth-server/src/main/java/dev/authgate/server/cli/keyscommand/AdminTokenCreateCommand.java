package dev.authgate.server.cli.keyscommand;

import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.keyfile.AdminToken;
import dev.authgate.protocol.keyfile.AdminTokenFile;
import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.cli.convert.DurationConverter;
import dev.authgate.server.keystore.KeystoreDirectory;
import java.io.IOException;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(
    name = "create",
    mixinStandardHelpOptions = true,
    description =
        "Make an admin API token and print it (once: only its digest is kept). Use it as"
            + " 'Authorization: Bearer TOKEN', or paste it into the console's login.")
final class AdminTokenCreateCommand implements Callable<Integer> {
  @Mixin KeystoreOption keystore;
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--name",
      required = true,
      paramLabel = "NAME",
      description =
          "What the token is for (e.g. ci, alice); every change it makes is audited with it.")
  String name;

  @Option(
      names = "--scope",
      paramLabel = "read|write",
      defaultValue = "read",
      description = "read: every list and the audit log; write: changes too (default: read).")
  String scope;

  @Option(
      names = "--expires",
      paramLabel = "DURATION",
      defaultValue = "90d",
      converter = DurationConverter.class,
      description = "How long it works (default: ${DEFAULT-VALUE}).")
  Duration expires;

  @Mixin AuditLogOption auditLog;

  @Override
  public Integer call() throws IOException {
    AdminTokenFile.Scope chosen;
    try {
      chosen = AdminTokenFile.Scope.of(scope);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--scope must be read or write");
    }
    if (!AdminTokenFile.isValidName(name)) {
      throw new ParameterException(
          spec.commandLine(), "--name must be " + AdminTokenFile.NAME_RULE);
    }
    if (expires.isZero() || expires.isNegative()) {
      throw new ParameterException(spec.commandLine(), "--expires must be positive");
    }
    KeystoreDirectory dir = keystore.open();
    dir.prepare();
    AdminToken token = AdminToken.generate(RandomSource.secure());
    AdminTokenFile made =
        auditLog.audited(
            dir,
            () ->
                AuditEvent.of(AuditEventType.ADMIN_TOKEN_CREATED)
                    .with("token_id", token.tokenId())
                    .with("name", name)
                    .with("scope", chosen.label())
                    .with("expires_s", expires.toSeconds()),
            () -> dir.adminTokens().create(token, name, chosen, expires));
    ExposedStdout.warn(
        spec.commandLine().getErr(), "the admin token", " (umask 077 before redirecting)");
    spec.commandLine().getOut().println(token.text());
    spec.commandLine()
        .getErr()
        .println(
            "admin token '"
                + name
                + "' ("
                + made.tokenId()
                + ", "
                + chosen.label()
                + ") works until "
                + made.expires().truncatedTo(ChronoUnit.SECONDS)
                + "; it is shown only now");
    return 0;
  }
}
