package dev.authgate.client.cli.common;

import dev.authgate.client.AuthgateClient;
import dev.authgate.client.connect.Connector;
import dev.authgate.client.connect.CredentialFile;
import dev.authgate.client.connect.HostKeyTrust;
import dev.authgate.client.connect.ServerAddress;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.keyfile.KeyFileException;
import dev.authgate.protocol.text.TerminalText;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The options every connecting command shares: where the server is and who we are. */
public final class ServerOptions {
  /** The command this mixin is part of: where its stderr goes. */
  @Spec(Spec.Target.MIXEE)
  CommandSpec command;

  @Option(
      names = "--server",
      paramLabel = "HOST[:PORT]",
      defaultValue = "${env:AUTHGATE_SERVER}",
      description =
          "Server address, e.g. gate.example, 10.0.0.1:7350 or [::1]; port 7350 unless given. "
              + "Default: the AUTHGATE_SERVER environment variable.")
  String server;

  @Option(
      names = "--key",
      paramLabel = "FILE",
      defaultValue = "${env:AUTHGATE_KEY}",
      description =
          "This client's credential file (mode 0600). "
              + "Default: the AUTHGATE_KEY environment variable.")
  Path key;

  @Option(
      names = "--accept-new",
      description =
          "If the credential pins no server host key (one made before host keys), trust the key"
              + " the server presents now and write it into the credential (trust on first use:"
              + " compare the fingerprint printed with 'auth-server keys host-key'). A pinned"
              + " credential is never re-pinned.")
  boolean acceptNew;

  @Option(
      names = "--verbose",
      description =
          "Say each step of the connection on stderr (resolved, connected, HELLO and its host key,"
              + " AUTH sent, verified), and show stack traces on errors.")
  boolean verbose;

  /** The parsed server address; a malformed one is a usage error. */
  public ServerAddress address() {
    if (server == null || server.isBlank()) {
      throw new IllegalArgumentException(
          "no server: give --server HOST[:PORT] or set AUTHGATE_SERVER");
    }
    return ServerAddress.parse(server);
  }

  /** The credential, refused if group or others can read it. */
  public Credential credential() throws KeyFileException {
    if (key == null || key.toString().isBlank()) {
      throw new IllegalArgumentException("no credential: give --key FILE or set AUTHGATE_KEY");
    }
    return Credential.load(key);
  }

  /**
   * A connector for {@code credential} (read from {@code file}, where learned host keys are written
   * back) with {@code timeout} on connecting and replies.
   */
  public static Connector connector(
      Path file, Credential credential, boolean acceptNew, Duration timeout) {
    return new Connector(
            credential.identity(),
            HostKeyTrust.file(file, credential, acceptNew, ServerOptions::warn),
            timeout,
            RandomSource.secure())
        .withCredentialFile(CredentialFile.of(file, credential, ServerOptions::warn));
  }

  /** A connector for the credential of {@code --key}. */
  public Connector connector(Credential credential, Duration timeout) {
    return connector(key, credential, acceptNew, timeout);
  }

  public static void warn(String message) {
    System.err.println("auth-client: " + TerminalText.escape(message));
  }

  /** The embeddable client for these options, with {@code timeout} on connecting and replies. */
  public AuthgateClient client(Duration timeout) throws KeyFileException {
    ServerAddress address = address();
    Credential credential = credential();
    java.io.PrintWriter err = command.commandLine().getErr();
    java.util.function.Consumer<String> warnings =
        message -> {
          err.println("auth-client: " + TerminalText.escape(message));
          err.flush();
        };
    AuthgateClient client =
        AuthgateClient.of(address, credential)
            .withHostKeyTrust(HostKeyTrust.file(key, credential, acceptNew, warnings))
            .withCredentialFile(CredentialFile.of(key, credential, warnings))
            .withPenaltyNotices(warnings)
            .withTimeout(timeout);
    if (!verbose) {
      return client;
    }
    return client.withSteps(
        step -> {
          err.println("auth-client: " + TerminalText.escape(step));
          err.flush();
        });
  }
}
