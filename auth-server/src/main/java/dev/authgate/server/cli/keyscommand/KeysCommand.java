package dev.authgate.server.cli.keyscommand;

import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

/** {@code auth-server keys}: provision, list and revoke client keys. */
@Command(
    name = "keys",
    mixinStandardHelpOptions = true,
    description = "Provision, list and revoke client keys in the keystore directory.",
    subcommands = {
      AddCommand.class,
      ListCommand.class,
      RotateCommand.class,
      RevokeCommand.class,
      ReinstateCommand.class,
      SetCommand.class,
      TokenCommand.class,
      ApproveCommand.class,
      DenyCommand.class,
      InitCommand.class,
      HostKeyCommand.class
    })
public final class KeysCommand implements Runnable {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(
        spec.commandLine(),
        "missing subcommand: init, add, list, rotate, revoke, reinstate, set, token, approve, deny"
            + " or host-key");
  }
}
