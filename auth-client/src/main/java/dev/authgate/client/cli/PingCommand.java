package dev.authgate.client.cli;

import dev.authgate.client.AuthgateClient;
import dev.authgate.client.cli.common.ClientExitStatus;
import dev.authgate.client.cli.common.ServerOptions;
import dev.authgate.client.cli.common.TimeoutOption;
import dev.authgate.client.connect.ServerAddress;
import dev.authgate.client.connect.VerifiedConnection;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.text.TerminalText;
import java.io.IOException;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code auth-client ping}: prove who we are, verify the server, time one sealed round trip. */
@Command(
    name = "ping",
    footerHeading = "%nExamples%n",
    footer = {
      "  auth-client ping --server gate.example:7350 --key m1.credential",
      "  auth-client ping --verbose     (each step of the connection: which one fails)"
    },
    mixinStandardHelpOptions = true,
    description = "Authenticate, verify the server, and time a sealed round trip.")
final class PingCommand implements Callable<Integer> {
  @Mixin ClientExitStatus exitStatus;

  @Spec CommandSpec spec;

  @Mixin ServerOptions target;

  @Mixin TimeoutOption timeout;

  @Override
  public Integer call() throws IOException {
    AuthgateClient client = target.client(timeout.get());
    ServerAddress address = client.server();
    Credential credential = client.credential();
    long start = System.nanoTime();
    try (VerifiedConnection connection = client.connect()) {
      Duration handshake = Duration.ofNanos(System.nanoTime() - start);
      Duration rtt = connection.ping();
      spec.commandLine()
          .getOut()
          .printf(
              Locale.ROOT,
              "verified server '%s' at %s as %s (key %s): handshake %.2f ms, round trip %.2f ms%n",
              TerminalText.escape(connection.serverId()),
              address,
              credential.clientId(),
              credential.keyId(),
              handshake.toNanos() / 1e6,
              rtt.toNanos() / 1e6);
      spec.commandLine().getOut().flush();
    }
    return 0;
  }
}
