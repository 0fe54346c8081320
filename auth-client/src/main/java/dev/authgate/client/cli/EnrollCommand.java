package dev.authgate.client.cli;

import dev.authgate.client.cli.common.ClientExitStatus;
import dev.authgate.client.cli.common.DurationConverter;
import dev.authgate.client.cli.common.Failures;
import dev.authgate.client.cli.common.ServerOptions;
import dev.authgate.client.cli.common.TimeoutOption;
import dev.authgate.client.connect.Connector;
import dev.authgate.client.connect.HostKeyTrust;
import dev.authgate.client.connect.Reconnector;
import dev.authgate.client.connect.ServerAddress;
import dev.authgate.client.connect.VerifiedConnection;
import dev.authgate.protocol.ExitCode;
import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.crypto.ScramKeys;
import dev.authgate.protocol.keyfile.ClientIds;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.keyfile.EnrollmentToken;
import dev.authgate.protocol.keyfile.KeyFiles;
import dev.authgate.protocol.session.Enroll;
import dev.authgate.protocol.session.EnrollResult;
import dev.authgate.protocol.session.SessionMessage;
import dev.authgate.protocol.text.TerminalText;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code auth-client enroll}: become a client with a one-time token. The machine makes its own
 * secret; over a session verified with the token (so the server proves it holds the token's
 * verifier) it sends only the secret's verifiers, and writes the credential once the server has
 * stored them.
 */
@Command(
    name = "enroll",
    footerHeading = "%nExamples%n",
    footer = {
      "  auth-client enroll --server gate.example --token - --out /etc/authgate/m1.credential < fleet.token",
      "  auth-client enroll --server gate.example --token \"$TOKEN\" --out m1.credential --wait 10m"
    },
    mixinStandardHelpOptions = true,
    description =
        "Enroll this machine with a one-time token from 'auth-server keys token create': the secret"
            + " is made here and never leaves it; the server stores only its verifiers.")
final class EnrollCommand implements Callable<Integer> {
  @Mixin ClientExitStatus exitStatus;

  @Spec CommandSpec spec;

  @Option(
      names = "--server",
      paramLabel = "HOST[:PORT]",
      defaultValue = "${env:AUTHGATE_SERVER}",
      description = "Server address; port 7350 unless given. Default: AUTHGATE_SERVER.")
  String server;

  @Option(
      names = "--token",
      paramLabel = "TOKEN",
      defaultValue = "${env:AUTHGATE_TOKEN}",
      description =
          "The token (agt2-...), or - to read it from stdin (keeps it out of the process list)."
              + " Default: AUTHGATE_TOKEN.")
  String token;

  @Option(
      names = "--id",
      paramLabel = "ID",
      description = "The client id to ask for, where the token lets the machine choose.")
  String clientId;

  @Option(
      names = "--out",
      paramLabel = "FILE",
      required = true,
      description = "Where to write the new credential (mode 0600); never overwritten.")
  Path out;

  @Option(
      names = "--wait",
      paramLabel = "DURATION",
      defaultValue = "0s",
      converter = DurationConverter.class,
      description =
          "If the token needs an operator's approval, keep checking (with backoff) this long for"
              + " it; exit 0 once let in, 3 if still not (default: ${DEFAULT-VALUE}: do not wait).")
  Duration wait;

  @Mixin TimeoutOption timeout;

  @Option(
      names = "--host-key",
      paramLabel = "SHA256:…",
      description =
          "The server's host key fingerprint, as 'auth-server keys host-key' prints it: needed"
              + " only for a token made before host keys (agt1-…); an agt2 token carries it.")
  String hostKey;

  @Option(names = "--verbose", description = "Show stack traces on errors.")
  boolean verbose;

  @Override
  public Integer call() throws IOException, InterruptedException {
    if (server == null || server.isBlank()) {
      throw new ParameterException(
          spec.commandLine(), "no server: give --server HOST[:PORT] or set AUTHGATE_SERVER");
    }
    ServerAddress address = ServerAddress.parse(server);
    EnrollmentToken parsed = readToken();
    HostKeyTrust trust = trust(parsed);
    PrintWriter err = spec.commandLine().getErr();
    reserve();
    boolean written = false;
    try {
      byte[] secret = RandomSource.secure().bytes(32);
      ScramKeys keys = ScramKeys.fromSaltedPassword(secret);
      EnrollResult result;
      String serverId;
      VerifiedConnection opened = connect(parsed, trust, address, err);
      if (opened == null) {
        return ExitCode.AUTH_REFUSED.code();
      }
      try (VerifiedConnection connection = opened) {
        serverId = connection.serverId();
        connection
            .channel()
            .send(
                new Enroll(
                    clientId == null ? "" : clientId,
                    keys.verifier().storedKey(),
                    keys.verifier().serverKey()));
        result = awaitResult(connection);
      }
      if (result.status() == EnrollResult.Status.REFUSED) {
        err.println("auth-client: enrollment refused: " + refusal(result));
        return ExitCode.TRANSFER.code();
      }
      requireValidIds(result);
      // Pinned: the key that signed this session and any next key it announced.
      Credential credential =
          new Credential(result.clientId(), result.keyId(), secret, trust.pins());
      KeyFiles.writePrivate(out, credential.format(), true);
      written = true;
      reportEnrolled(err, result, serverId, keys.verifier().fingerprint(), trust.pins());
      if (result.status() == EnrollResult.Status.PENDING) {
        err.println(
            "waiting for approval: on the server run: auth-server keys approve "
                + TerminalText.escape(result.clientId()));
        if (!wait.isZero()) {
          return awaitApproval(address, credential, err);
        }
      }
      return ExitCode.OK.code();
    } finally {
      if (!written) {
        Files.deleteIfExists(out);
      }
    }
  }

  /**
   * Connects with the token's identity. The token's pin is checked before anything is sent: a rogue
   * holding the token (a fleet token is on every machine) cannot sign with the server's host key,
   * so it gets no ENROLL.
   *
   * @return the connection, or null (said on {@code err}) if the server refused the token
   */
  private VerifiedConnection connect(
      EnrollmentToken parsed, HostKeyTrust trust, ServerAddress address, PrintWriter err)
      throws IOException {
    try {
      return new Connector(parsed.identity(), trust, timeout.get(), RandomSource.secure())
          .connect(address);
    } catch (ProtocolException e) {
      String why =
          switch (e.reason()) {
            case REFUSED -> "it is wrong, or the server does not know it";
            case REVOKED_KEY -> "the operator revoked it";
            case EXPIRED_KEY -> "it expired or is used up";
            default -> null;
          };
      if (why == null) {
        throw e;
      }
      err.println(
          "auth-client: the server refused the token: "
              + why
              + " (token "
              + parsed.tokenId()
              + ")");
      return null;
    }
  }

  /**
   * A hostile or broken server's id is never written into a credential (a newline in it would add
   * lines of the server's choosing).
   */
  private static void requireValidIds(EnrollResult result) throws ProtocolException {
    for (String id : List.of(result.clientId(), result.keyId())) {
      if (!ClientIds.isValid(id)) {
        throw new ProtocolException(
            Reason.MALFORMED,
            "the server sent an invalid id '"
                + ClientIds.printable(id)
                + "' in ENROLL_RESULT; nothing was written");
      }
    }
  }

  private void reportEnrolled(
      PrintWriter err,
      EnrollResult result,
      String serverId,
      String fingerprint,
      List<String> pins) {
    err.println(
        "enrolled as "
            + TerminalText.escape(result.clientId())
            + " (key "
            + TerminalText.escape(result.keyId())
            + ") with server '"
            + TerminalText.escape(serverId)
            + "'; credential written to "
            + out
            + " (mode 0600)");
    err.println(
        "this machine's key fingerprint is "
            + fingerprint
            + ": the operator should see the same in 'auth-server keys list --long' before approving;"
            + " the server's host key is "
            + String.join(", ", pins));
  }

  private static String refusal(EnrollResult result) {
    return TerminalText.escape(result.text()) + " [" + TerminalText.escape(result.reason()) + "]";
  }

  private HostKeyTrust trust(EnrollmentToken parsed) {
    try {
      return HostKeyTrust.of(parsed, hostKey);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  private EnrollmentToken readToken() throws IOException {
    String text = token;
    if ("-".equals(text)) {
      text = new String(((AuthClientCommand) spec.parent().userObject()).stdin.readAllBytes());
    }
    if (text == null || text.isBlank()) {
      throw new ParameterException(
          spec.commandLine(), "no token: give --token TOKEN (or -) or set AUTHGATE_TOKEN");
    }
    try {
      return EnrollmentToken.parse(text);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  /** Claims {@code --out} (empty, 0600) before anything is sent, so the credential has a home. */
  private void reserve() throws IOException {
    try {
      Files.createFile(
          out, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (FileAlreadyExistsException e) {
      throw new ParameterException(
          spec.commandLine(),
          out + " exists; enroll writes a new credential and never overwrites one");
    }
  }

  private EnrollResult awaitResult(VerifiedConnection connection) throws IOException {
    while (true) {
      SessionMessage message = connection.channel().receive();
      switch (message) {
        case EnrollResult r -> {
          return r;
        }
        case SessionMessage.Ping p -> connection.channel().send(new SessionMessage.Pong(p.token()));
        case SessionMessage.Close c ->
            throw new ProtocolException(
                c.code() == SessionMessage.Close.NOT_PERMITTED
                    ? Reason.NOT_PERMITTED
                    : Reason.CONNECTION_LOST,
                "the server closed the session: " + c.text());
        default ->
            throw new ProtocolException(
                Reason.MALFORMED, "unexpected " + message + " while waiting for ENROLL_RESULT");
      }
    }
  }

  /** Pings with the new credential, backing off, until it is let in or the wait is over. */
  private int awaitApproval(ServerAddress address, Credential credential, PrintWriter err)
      throws InterruptedException {
    long end = System.nanoTime() + wait.toNanos();
    long pause = 2_000;
    Connector connector = ServerOptions.connector(out, credential, false, timeout.get());
    String last = "still waiting for approval";
    while (true) {
      Duration next = Duration.ofMillis(pause);
      try (VerifiedConnection connection = connector.connect(address)) {
        connection.ping();
        err.println("approved: " + TerminalText.escape(credential.clientId()) + " is let in");
        return ExitCode.OK.code();
      } catch (ProtocolException e) {
        if (e.reason() == Reason.REVOKED_KEY) {
          // Denied: asking again would only add failures (and fail2ban bans on them).
          err.println(
              "auth-client: denied by the operator: "
                  + TerminalText.escape(credential.clientId())
                  + " is not let in (the credential stays in "
                  + out
                  + ")");
          return ExitCode.AUTH_REFUSED.code();
        }
        if (e.reason() == Reason.REFUSED) {
          // Unknown here yet: another server of a cluster may not have loaded the new key.
          last = "not known to the server yet";
        } else if (e.reason() != Reason.PENDING_APPROVAL) {
          if (Reconnector.isPermanent(e)) {
            err.println("auth-client: " + Failures.describe(e));
            return Failures.exitCode(e).code();
          }
          last = Failures.describe(e);
          next = Reconnector.notBeforePenaltyEnds(e, next);
        } else {
          last = "still waiting for approval";
        }
      } catch (IOException unreachable) {
        last = Failures.describe(unreachable);
      }
      long left = end - System.nanoTime();
      if (left <= 0) {
        err.println(
            "auth-client: not let in after "
                + wait.toSeconds()
                + " s: "
                + last
                + "; the credential stays in "
                + out);
        return ExitCode.AUTH_REFUSED.code();
      }
      Thread.sleep(Math.min(next.toMillis(), Math.max(1, left / 1_000_000)));
      pause = Math.min(pause * 2, 30_000);
    }
  }
}
