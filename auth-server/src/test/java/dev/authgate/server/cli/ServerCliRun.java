package dev.authgate.server.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * One in-process run of {@code auth-server}: exit code, stdout and stderr.
 *
 * @param exit the exit code
 * @param out what went to stdout
 * @param err what went to stderr
 */
public record ServerCliRun(int exit, String out, String err) {
  /**
   * Where the audit lines of commands run without {@code --audit-log} go: not {@code
   * logs/audit.jsonl} in the module's directory (every keystore change is audited).
   */
  private static final String UNNAMED_AUDIT_LOG = unnamedAuditLog();

  private static String unnamedAuditLog() {
    try {
      java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("authgate-cli-audit");
      dir.toFile().deleteOnExit();
      return dir.resolve("audit.jsonl").toString();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Runs {@code auth-server args}. */
  public static ServerCliRun server(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    java.util.Map<String, String> env = new java.util.HashMap<>(System.getenv());
    if (java.util.Arrays.stream(args).noneMatch(a -> a.startsWith("--config"))) {
      env.putIfAbsent("AUTHGATE_AUDIT_LOG", UNNAMED_AUDIT_LOG);
    }
    int exit =
        AuthServerCommand.run(
            args,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            env);
    return new ServerCliRun(
        exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
