package dev.authgate.server.cli.keyscommand;

import dev.authgate.server.cli.help.ServerExitStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/** {@code auth-server keys}: provision, list and revoke client keys. */
@Command(
    name = "keys",
    footerHeading = "%nExamples%n",
    footer = {
      "  auth-server keys add sensor-1 --out -",
      "  auth-server keys list",
      "  auth-server keys rotate sensor-1 --grace 24h --out sensor-1.credential",
      "  auth-server keys revoke sensor-1",
      "  auth-server keys token create --uses 100 --prefix sensor- --expires 7d > fleet.token"
    },
    mixinStandardHelpOptions = true,
    description = "Provision, list and revoke client keys in the keystore directory.",
    subcommands = {
      AddCommand.class,
      ListCommand.class,
      RotateCommand.class,
      RevokeCommand.class,
      ReinstateCommand.class,
      UnlockCommand.class,
      SetCommand.class,
      TokenCommand.class,
      ApproveCommand.class,
      DenyCommand.class,
      InitCommand.class,
      HostKeyCommand.class
    })
public final class KeysCommand implements Runnable {
  @Mixin ServerExitStatus exitStatus;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(
        spec.commandLine(),
        "missing subcommand: init, add, list, rotate, revoke, reinstate, unlock, set, token,"
            + " approve, deny or host-key");
  }
}
