package dev.authgate.server.cli.keyscommand;

import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

/**
 * {@code auth-server admin}: what the admin API ({@code serve --admin}) is reached with. Its tokens
 * live in the keystore beside the machines' keys, so it is built from the keystore's commands.
 */
@Command(
    name = "admin",
    mixinStandardHelpOptions = true,
    description =
        "The admin API and console (serve --admin): the tokens that reach it. See"
            + " docs/OPERATIONS.md, \"Admin API and console\".",
    subcommands = {AdminCommand.Token.class})
public final class AdminCommand implements Runnable {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(
        spec.commandLine(), "missing subcommand: token");
  }

  /** {@code admin token}: create, list, revoke. */
  @Command(
      name = "token",
      mixinStandardHelpOptions = true,
      description =
          "Admin API tokens: a Bearer token for automation, or the console's login. Only a digest"
              + " is kept.",
      subcommands = {
        AdminTokenCreateCommand.class,
        AdminTokenListCommand.class,
        AdminTokenRevokeCommand.class
      })
  static final class Token implements Runnable {
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(), "missing subcommand: create, list or revoke");
    }
  }
}
