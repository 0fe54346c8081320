package dev.authgate.client.cli;

import dev.authgate.protocol.Version;
import picocli.CommandLine;
import picocli.CommandLine.IVersionProvider;

/** Version, commit and JDK, for {@code --version} on every command. */
final class VersionProvider implements IVersionProvider {
  @Override
  public String[] getVersion() {
    return new String[] {Version.describe()};
  }

  /** Gives {@code cli} and every subcommand under it this provider. */
  static void everywhere(CommandLine cli) {
    cli.getCommandSpec().versionProvider(new VersionProvider());
    for (CommandLine sub : cli.getSubcommands().values()) {
      everywhere(sub);
    }
  }
}
