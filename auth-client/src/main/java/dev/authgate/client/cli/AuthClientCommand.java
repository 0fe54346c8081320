package dev.authgate.client.cli;

import dev.authgate.client.bench.BenchCommand;
import dev.authgate.client.cli.common.ClientExitStatus;
import dev.authgate.client.cli.common.Failures;
import dev.authgate.protocol.ExitCode;
import dev.authgate.protocol.text.TerminalText;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code auth-client}: the root command. */
@Command(
    name = "auth-client",
    footerHeading = "%nExamples%n",
    footer = {
      "  auth-client ping --server gate.example --key /etc/authgate/m1.credential",
      "  export AUTHGATE_SERVER=gate.example AUTHGATE_KEY=/etc/authgate/m1.credential",
      "  auth-client upload report.csv",
      "  auth-client upload --watch /var/spool/out --done /var/spool/sent",
      "  echo 'temp=21.5' | auth-client chat --json --room telemetry",
      "  auth-client enroll --server gate.example --token - --out m1.credential < fleet.token",
      "  auth-client <command> --help    (each command's options and examples)"
    },
    mixinStandardHelpOptions = true,
    description = "authgate client: proves this machine holds its secret, then talks.")
public class AuthClientCommand implements Runnable {
  @CommandLine.Mixin ClientExitStatus exitStatus;

  /**
   * The subcommands, by name, in the order help lists them. Not in this class's annotation: picocli
   * builds the model of every declared subcommand (reflection over each option, mixin and
   * annotation) on every start, about half of a one-shot {@code ping}'s start-up. {@link #run} adds
   * only the one a command line names, and all of them for help, usage errors and suggestions.
   * {@link WithAllSubcommands} declares the same list for the tools that read annotations (man
   * pages, shell completion); a test keeps the two equal.
   */
  static final Map<String, Class<?>> SUBCOMMANDS = subcommands();

  private static Map<String, Class<?>> subcommands() {
    Map<String, Class<?>> all = new LinkedHashMap<>();
    all.put("ping", PingCommand.class);
    all.put("upload", UploadCommand.class);
    all.put("list", ListCommand.class);
    all.put("get", GetCommand.class);
    all.put("chat", ChatCommand.class);
    all.put("send", SendCommand.class);
    all.put("bench", BenchCommand.class);
    all.put("enroll", EnrollCommand.class);
    all.put("pin", PinCommand.class);
    all.put("credential", CredentialCommand.class);
    all.put("startup-training", StartupTraining.class);
    all.put("help", CommandLine.HelpCommand.class);
    return Collections.unmodifiableMap(all);
  }

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /**
   * The root command with every subcommand declared in its annotation, for picocli's man page and
   * completion generators (the build runs them on this class).
   */
  @Command(
      subcommands = {
        PingCommand.class,
        UploadCommand.class,
        ListCommand.class,
        GetCommand.class,
        ChatCommand.class,
        SendCommand.class,
        BenchCommand.class,
        EnrollCommand.class,
        PinCommand.class,
        CredentialCommand.class,
        StartupTraining.class,
        CommandLine.HelpCommand.class
      })
  public static final class WithAllSubcommands extends AuthClientCommand {}

  /** Where subcommands that read input (chat) read it from. */
  InputStream stdin = System.in;

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
    return run(args, System.in, out, err);
  }

  /**
   * Runs {@code args} reading input from {@code in} and writing to {@code out} and {@code err}.
   *
   * @return the process exit code
   */
  public static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
    AuthClientCommand root = new AuthClientCommand();
    root.stdin = in;
    CommandLine cli = new CommandLine(root);
    Class<?> named = args.length == 0 || "help".equals(args[0]) ? null : SUBCOMMANDS.get(args[0]);
    if (named != null) {
      cli.addSubcommand(args[0], named);
    } else {
      SUBCOMMANDS.forEach(cli::addSubcommand);
    }
    VersionProvider.everywhere(cli);
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    // A usage error is one line, a suggestion for a misspelled option, and where help is; not the
    // whole usage text (85 lines for serve).
    cli.setParameterExceptionHandler(
        (ex, arguments) -> {
          PrintWriter errors = ex.getCommandLine().getErr();
          errors.println("auth-client: " + TerminalText.escape(ex.getMessage()));
          CommandLine.UnmatchedArgumentException.printSuggestions(ex, errors);
          errors.println(
              "see '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help'");
          errors.flush();
          return ExitCode.USAGE.code();
        });
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (Failures.shuttingDown()) {
            // Ctrl-C or SIGTERM: whatever failed failed because the JVM is going away (a library
            // hook refused with "Shutdown in progress", a socket closed under us).
            err.println("auth-client: interrupted");
            return ExitCode.INTERRUPTED.code();
          }
          err.println("auth-client: " + TerminalText.escape(Failures.describe(e)));
          if (Arrays.asList(args).contains("--verbose")) {
            e.printStackTrace(err);
          }
          return Failures.exitCode(e).code();
        });
    return cli.execute(args);
  }
}
