package dev.authgate.server.cli.keyscommand;

import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.keyfile.EnrollmentToken;
import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.cli.convert.DurationConverter;
import dev.authgate.server.keystore.KeystoreDirectory;
import java.io.IOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "create",
    mixinStandardHelpOptions = true,
    description =
        "Make a one-time token and print it (once: only its verifier is kept). On the machine:"
            + " auth-client enroll --server HOST --token TOKEN --out FILE.")
final class TokenCreateCommand implements Callable<Integer> {
  @Mixin KeystoreOption keystore;
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--id", paramLabel = "ID", description = "The client id it enrolls as.")
  String clientId;

  @Option(
      names = "--prefix",
      paramLabel = "PREFIX",
      description =
          "Ids it enrolls must start with this; a machine that names none gets PREFIX and 8 hex"
              + " digits.")
  String prefix;

  @Option(
      names = "--expires",
      paramLabel = "DURATION",
      defaultValue = "1h",
      converter = DurationConverter.class,
      description = "How long it can be used (default: ${DEFAULT-VALUE}).")
  java.time.Duration expires;

  @Option(
      names = "--uses",
      paramLabel = "N",
      defaultValue = "1",
      description = "How many machines it may enroll (default: ${DEFAULT-VALUE}).")
  int uses;

  @Option(
      names = "--approve",
      description = "Each enrollment waits until an operator runs 'keys approve ID'.")
  boolean approve;

  @Mixin AuditLogOption auditLog;

  @Override
  public Integer call() throws IOException {
    if (clientId != null && prefix != null) {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(), "give --id or --prefix, not both");
    }
    if (uses < 1 || expires.isZero() || expires.isNegative()) {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(), "--uses and --expires must be positive");
    }
    KeystoreDirectory dir = keystore.open();
    dir.prepare();
    // The token pins the key servers sign with now, so the machine refuses a rogue (even one
    // holding this token) before it sends ENROLL.
    HostKeyInfo hostKey = keystore.ensureHostKey(auditLog);
    EnrollmentToken token =
        EnrollmentToken.generate(RandomSource.secure()).withHostKey(hostKey.fingerprint());
    {
      auditLog.audited(
          dir,
          () ->
              AuditEvent.of(AuditEventType.ENROLL_TOKEN_CREATED)
                  .with("token_id", token.tokenId())
                  .with("client_id", clientId)
                  .with("prefix", prefix)
                  .with("uses", uses)
                  .with("expires_s", expires.toSeconds())
                  .with("approve", approve),
          () -> dir.enrollmentTokens().create(token, expires, uses, approve, clientId, prefix));
      ExposedStdout.warn(
          spec.commandLine().getErr(), "the enrollment token", " (umask 077 before redirecting)");
      spec.commandLine().getOut().println(token.text());
      spec.commandLine()
          .getErr()
          .println(
              "token "
                  + token.tokenId()
                  + " enrolls "
                  + (clientId != null
                      ? "'" + clientId + "'"
                      : prefix != null
                          ? "ids starting with '" + prefix + "'"
                          : "the id a machine asks for")
                  + ", "
                  + uses
                  + (uses == 1 ? " time" : " times")
                  + " until "
                  + java.time.Instant.now()
                      .plus(expires)
                      .truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
                  + (approve ? ", each after 'keys approve'" : "")
                  + "; it pins the host key "
                  + hostKey.fingerprint()
                  + "; it is shown only now");
    }
    return 0;
  }
}
