package dev.authgate.client.cli;

import dev.authgate.client.connect.Connector;
import dev.authgate.client.connect.ServerAddress;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.keyfile.KeyFileException;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** The options every connecting command shares: where the server is and who we are. */
final class ServerOptions {
  @Option(
      names = "--server",
      required = true,
      paramLabel = "HOST:PORT",
      description = "Server address, e.g. 127.0.0.1:7350 or [::1]:7350.")
  String server;

  @Option(
      names = "--key",
      required = true,
      paramLabel = "FILE",
      description = "This client's credential file (mode 0600).")
  Path key;

  @Option(names = "--verbose", description = "Show stack traces on errors.")
  boolean verbose;

  /** The parsed server address; a malformed one is a usage error. */
  ServerAddress address() {
    return ServerAddress.parse(server);
  }

  /** The credential, refused if group or others can read it. */
  Credential credential() throws KeyFileException {
    return Credential.load(key);
  }

  /** A connector for {@code credential} with {@code timeout} on connecting and replies. */
  static Connector connector(Credential credential, Duration timeout) {
    return new Connector(credential.identity(), timeout, RandomSource.secure());
  }
}
