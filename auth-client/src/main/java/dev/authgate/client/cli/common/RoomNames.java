package dev.authgate.client.cli.common;

import dev.authgate.protocol.keyfile.ClientIds;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** {@code --room}: a name the server could take, checked before anything connects. */
public final class RoomNames {
  private RoomNames() {}

  /**
   * Returns {@code room} if it is a room name (the syntax of client ids), else a usage error naming
   * the rule.
   */
  public static String require(CommandSpec spec, String room) {
    try {
      return ClientIds.requireValid(room, "room name");
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }
}
