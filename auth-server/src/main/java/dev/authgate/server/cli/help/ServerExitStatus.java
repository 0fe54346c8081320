package dev.authgate.server.cli.help;

import picocli.CommandLine.Command;

/** The exit statuses of every {@code auth-server} command, as a mixin for help and man pages. */
@Command(
    exitCodeListHeading = "%nExit status%n",
    exitCodeList = {
      "0:done (serve: stopped on request, SIGTERM or Ctrl-C)",
      "1:a failure, said in one line: a file that cannot be read or written, a keystore that"
          + " cannot be used, an audit line that cannot be written (nothing was changed), or"
          + " problems serve --check found",
      "2:usage: a bad option or setting"
    })
public final class ServerExitStatus {}
