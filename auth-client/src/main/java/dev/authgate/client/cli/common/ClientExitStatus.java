package dev.authgate.client.cli.common;

import picocli.CommandLine.Command;

/**
 * The exit statuses of every {@code auth-client} command, as a mixin: {@code --help} and the man
 * pages list them (docs/CLIENT.md has the same table; the Python client exits the same).
 */
@Command(
    exitCodeListHeading = "%nExit status%n",
    exitCodeList = {
      "0:done",
      "1:another failure: a file that cannot be read, a bad credential file",
      "2:usage: a bad option, or a FILE that does not exist or is not a regular file",
      "3:authentication refused: a wrong or unknown key, one waiting for approval, revoked or"
          + " expired; or a server that cannot prove itself",
      "4:cannot connect, the connection was lost, or the server said try later (busy, or this"
          + " address penalised)",
      "5:a transfer refused or failed, or the session not permitted for this client",
      "130:interrupted by Ctrl-C (143: by SIGTERM)"
    })
public final class ClientExitStatus {}
