package dev.authgate.server.cli.keys;

import java.io.IOException;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The client that gets a new key, and where its credential goes (rotate, reinstate). */
final class NewKey {
  @Parameters(paramLabel = "ID", description = "Client id")
  String clientId;

  @Option(
      names = "--out",
      paramLabel = "FILE",
      description = "Where to write the new credential (default: ID.credential; - for stdout).")
  String out;

  CredentialOut target() throws IOException {
    return CredentialOut.of(out, clientId);
  }
}
