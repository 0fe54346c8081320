package dev.authgate.client.cli;

import dev.authgate.client.cli.common.ClientExitStatus;
import dev.authgate.client.connect.HostKeyTrust;
import dev.authgate.protocol.identity.HostPublicKey;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.text.TerminalText;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Shows or changes which server host keys a credential trusts: the fix an operator gives a machine
 * that slept through a host key rotation, or one whose credential was made before host keys.
 */
@Command(
    name = "pin",
    mixinStandardHelpOptions = true,
    description = {
      "Show the server host keys the credential trusts (its pins), or pin the fingerprints given."
          + " Compare a fingerprint with 'auth-server keys host-key' on the server before pinning"
          + " it: a wrong pin lets whoever holds that key pose as the server.",
      "The credential is rewritten atomically (mode 0600); the secret is unchanged."
    })
final class PinCommand implements Callable<Integer> {
  @Mixin ClientExitStatus exitStatus;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--key",
      paramLabel = "FILE",
      defaultValue = "${env:AUTHGATE_KEY}",
      description = "The credential file (mode 0600). Default: the AUTHGATE_KEY variable.")
  Path key;

  @Option(
      names = "--replace",
      description = "Trust only the fingerprints given (default: add them to the pins).")
  boolean replace;

  @Parameters(
      paramLabel = "SHA256:…",
      arity = "0..*",
      description = "Host key fingerprints to pin, as 'auth-server keys host-key' prints them.")
  List<String> fingerprints = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    if (key == null || key.toString().isBlank()) {
      throw new ParameterException(
          spec.commandLine(), "no credential: give --key FILE or set AUTHGATE_KEY");
    }
    for (String fingerprint : fingerprints) {
      if (!HostPublicKey.isFingerprint(fingerprint)) {
        throw new ParameterException(
            spec.commandLine(),
            "not a host key fingerprint: '"
                + TerminalText.escape(fingerprint)
                + "' (expected SHA256: and 43 base64 characters)");
      }
    }
    if (replace && fingerprints.isEmpty()) {
      throw new ParameterException(
          spec.commandLine(), "--replace needs the fingerprints to trust instead");
    }
    Credential credential = Credential.load(key);
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (fingerprints.isEmpty()) {
      credential.hostKeys().forEach(out::println);
      if (credential.hostKeys().isEmpty()) {
        err.println(key + " pins no host key: pin one, or connect once with --accept-new");
      }
      return 0;
    }
    LinkedHashSet<String> pins = new LinkedHashSet<>(replace ? List.of() : credential.hostKeys());
    pins.addAll(fingerprints);
    if (pins.size() > Credential.MAX_HOST_KEYS) {
      throw new ParameterException(
          spec.commandLine(), "a credential pins at most " + Credential.MAX_HOST_KEYS + " keys");
    }
    HostKeyTrust.writePins(key, new ArrayList<>(pins));
    pins.forEach(out::println);
    err.println("pinned in " + key);
    return 0;
  }
}
