package dev.authgate.client.cli;

import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.text.IoErrors;
import dev.authgate.protocol.text.TerminalText;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code auth-client credential}: what a credential file holds, without its secret. */
@Command(
    name = "credential",
    mixinStandardHelpOptions = true,
    description = "Inspect a credential file.",
    subcommands = {CredentialCommand.Show.class})
final class CredentialCommand implements Runnable {
  @Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing subcommand: credential show FILE");
  }

  /**
   * {@code credential show [FILE]}, like {@code ssh-keygen -lf}: client id, key id, the key's
   * fingerprint as the server's {@code keys list --long} shows it, the pinned host keys, and the
   * file's owner and mode. Never the secret.
   */
  @Command(
      name = "show",
      mixinStandardHelpOptions = true,
      description = {
        "Show the client id, key id, the key's fingerprint (as 'auth-server keys list --long' shows it on"
            + " the server), the host keys it pins, and the file's owner and mode. The secret is"
            + " never shown."
      })
  static final class Show implements Callable<Integer> {
    @Spec CommandLine.Model.CommandSpec spec;

    @Parameters(
        paramLabel = "FILE",
        arity = "0..1",
        defaultValue = "${env:AUTHGATE_KEY}",
        description = "The credential file. Default: the AUTHGATE_KEY variable.")
    Path file;

    @Override
    public Integer call() throws IOException {
      if (file == null || file.toString().isBlank()) {
        throw new ParameterException(
            spec.commandLine(), "no credential: give FILE or set AUTHGATE_KEY");
      }
      Credential credential = Credential.load(file);
      PrintWriter out = spec.commandLine().getOut();
      out.println("client-id  " + TerminalText.escape(credential.clientId()));
      out.println("key-id     " + TerminalText.escape(credential.keyId()));
      out.println(
          "key        "
              + credential.scramKeys().verifier().fingerprint()
              + " (as 'auth-server keys list --long' shows it)");
      if (credential.hostKeys().isEmpty()) {
        out.println(
            "host-key   none pinned: pin one with 'pin', or connect once with --accept-new");
      }
      for (String pin : credential.hostKeys()) {
        out.println("host-key   " + pin + " (pinned)");
      }
      Path real = file.toRealPath(); // the file the credential was read from, links followed
      out.println(
          "file       "
              + TerminalText.escape(real.toString())
              + ", "
              + IoErrors.ownerAndMode(real));
      out.flush();
      return 0;
    }
  }
}
