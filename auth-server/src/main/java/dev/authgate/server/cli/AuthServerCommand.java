package dev.authgate.server.cli;

import dev.authgate.protocol.ExitCode;
import dev.authgate.server.cli.help.ServerExitStatus;
import dev.authgate.server.cli.keyscommand.AdminCommand;
import dev.authgate.server.cli.keyscommand.KeysCommand;
import dev.authgate.server.log.LogFormat;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code auth-server}: the root command. */
@Command(
    name = "auth-server",
    footerHeading = "%nExamples%n",
    footer = {
      "  auth-server keys add sensor-1 --out -       (provision a machine; the credential on stdout)",
      "  auth-server serve --check --config /etc/authgate/authgate.properties",
      "  auth-server serve --bind :: --port 7350",
      "  auth-server audit --since 24h",
      "  auth-server <command> --help    (each command's options and examples)"
    },
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = "authgate server: verifies machines by HMAC challenge-response.",
    subcommands = {
      ServeCommand.class,
      KeysCommand.class,
      AuditCommand.class,
      AdminCommand.class,
      picocli.CommandLine.HelpCommand.class
    })
public final class AuthServerCommand implements Runnable {
  @CommandLine.Mixin ServerExitStatus exitStatus;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand");
  }

  /**
   * Runs {@code args} with output going to {@code out} and {@code err}.
   *
   * @return the process exit code
   */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    return run(args, out, err, System.getenv());
  }

  /** Runs {@code args} with {@code env} as the environment for option defaults. */
  static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
    CommandLine cli = new CommandLine(new AuthServerCommand());
    VersionProvider.everywhere(cli);
    ServeHelp.install(cli.getSubcommands().get("serve"));
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    try {
      cli.setDefaultValueProvider(ConfigDefaults.from(args, env));
    } catch (java.io.IOException e) {
      err.println("auth-server: " + e.getMessage());
      return ExitCode.FAILURE.code();
    }
    // A usage error is one line, a suggestion for a misspelled option, and where help is; not the
    // whole usage text (85 lines for serve).
    cli.setParameterExceptionHandler(
        (ex, arguments) -> {
          PrintWriter errors = ex.getCommandLine().getErr();
          errors.println("auth-server: " + OneLine.message(ex));
          CommandLine.UnmatchedArgumentException.printSuggestions(ex, errors);
          errors.println(
              "see '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help'");
          errors.flush();
          return ExitCode.USAGE.code();
        });
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          boolean verbose = Arrays.asList(args).contains("--verbose");
          if (LogFormat.current() == LogFormat.JSON) {
            // serve --log-format json: a shipper parses every stderr line, this one too.
            org.slf4j.LoggerFactory.getLogger("auth-server")
                .atError()
                .setCause(verbose ? e : null)
                .log(OneLine.message(e));
          } else {
            err.println("auth-server: " + OneLine.message(e));
            if (verbose) {
              e.printStackTrace(err);
            }
          }
          return e instanceof IllegalArgumentException
              ? ExitCode.USAGE.code()
              : ExitCode.FAILURE.code();
        });
    return cli.execute(args);
  }
}
