package dev.authgate.client.cli;

import dev.authgate.client.AuthgateClient;
import dev.authgate.client.cli.common.ClientExitStatus;
import dev.authgate.client.cli.common.ProgressOption;
import dev.authgate.client.cli.common.ServerOptions;
import dev.authgate.client.cli.common.TransferTimeoutOption;
import dev.authgate.client.connect.VerifiedConnection;
import dev.authgate.client.download.DownloadListener;
import dev.authgate.client.download.DownloadOutcome;
import dev.authgate.client.download.Downloader;
import dev.authgate.protocol.ExitCode;
import dev.authgate.protocol.crypto.CryptoWarmup;
import dev.authgate.protocol.session.UploadNames;
import dev.authgate.protocol.text.TerminalText;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code auth-client get}: fetch published files, verified end to end. */
@Command(
    name = "get",
    footerHeading = "%nExamples%n",
    footer = {
      "  auth-client get config.tar.gz",
      "  auth-client get --if-changed --out /etc/app app.conf rules.json   (from cron)"
    },
    mixinStandardHelpOptions = true,
    description =
        "Fetch published files over one verified connection: each is staged, SHA-256 checked"
            + " against the server's, forced to disk and renamed into place (mode 0600).")
final class GetCommand implements Callable<Integer> {
  @Mixin ClientExitStatus exitStatus;

  @Spec CommandSpec spec;

  @Mixin ServerOptions target;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      defaultValue = ".",
      description = "Where the files go (default: the current directory).")
  Path out;

  @Option(
      names = "--resume",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description =
          "Continue an interrupted download from its staging file, once the server confirms the"
              + " staged bytes start its file (default); --no-resume starts over.")
  boolean resume;

  @Option(
      names = "--if-changed",
      description =
          "Transfer nothing for a file whose local copy already has the server's SHA-256"
              + " (for cron jobs and timers that poll).")
  boolean ifChanged;

  @Mixin ProgressOption progress;

  @Mixin TransferTimeoutOption timeout;

  @Parameters(paramLabel = "NAME", arity = "1..*", description = "Names of published files.")
  List<String> names;

  @Override
  public Integer call() throws IOException {
    for (String name : names) {
      String problem = UploadNames.problem(name);
      if (problem != null || name.startsWith(".")) {
        throw new ParameterException(
            spec.commandLine(),
            "'"
                + TerminalText.escape(name)
                + "' is not a published file name: "
                + (problem != null ? problem : "names do not start with '.'"));
      }
    }
    if (!Files.isDirectory(out)) {
      throw new NoSuchFileException(out + ": no such directory");
    }
    if (!Files.isWritable(out)) {
      throw new IOException("cannot write to " + out + ": permission denied");
    }
    AuthgateClient client = target.client(timeout.get());
    // Compiles the opening and hashing on the other core while this one connects: a fetched file
    // then arrives at full speed from its first megabytes (a small one does not wait for it).
    CryptoWarmup.startInBackground(CryptoWarmup.Side.RECEIVER);
    DownloadListener listener =
        progress.show() ? new ProgressBarListener() : DownloadListener.silent();
    PrintWriter printer = spec.commandLine().getOut();
    int refused = 0;
    try (VerifiedConnection connection = client.connect()) {
      Downloader downloader = new Downloader(connection, listener);
      for (String name : names) {
        DownloadOutcome outcome = downloader.get(name, out, resume, ifChanged);
        printer.println(TerminalText.escape(outcome.describe()));
        printer.flush();
        refused += outcome.ok() ? 0 : 1;
      }
    }
    return refused == 0 ? ExitCode.OK.code() : ExitCode.TRANSFER.code();
  }
}
