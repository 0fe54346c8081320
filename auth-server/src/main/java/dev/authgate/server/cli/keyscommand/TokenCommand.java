package dev.authgate.server.cli.keyscommand;

import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

@Command(
    name = "token",
    mixinStandardHelpOptions = true,
    description =
        "Enrollment tokens: a machine enrolls itself with one, its secret never leaving it.",
    subcommands = {TokenCreateCommand.class, TokenListCommand.class, TokenRevokeCommand.class})
final class TokenCommand implements Runnable {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(
        spec.commandLine(), "missing subcommand: create, list or revoke");
  }
}
