package dev.authgate.client.cli;

import dev.authgate.client.AuthgateClient;
import dev.authgate.client.cli.common.ClientExitStatus;
import dev.authgate.client.cli.common.DurationConverter;
import dev.authgate.client.cli.common.Failures;
import dev.authgate.client.cli.common.ProgressOption;
import dev.authgate.client.cli.common.ServerOptions;
import dev.authgate.client.cli.common.TransferTimeoutOption;
import dev.authgate.client.connect.VerifiedConnection;
import dev.authgate.client.upload.FolderWatcher;
import dev.authgate.client.upload.LocalNames;
import dev.authgate.client.upload.UploadCancelledException;
import dev.authgate.client.upload.UploadListener;
import dev.authgate.client.upload.UploadOutcome;
import dev.authgate.client.upload.Uploader;
import dev.authgate.client.upload.WatchOptions;
import dev.authgate.protocol.ExitCode;
import dev.authgate.protocol.crypto.CryptoWarmup;
import dev.authgate.protocol.session.UploadNames;
import dev.authgate.protocol.text.TerminalText;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code auth-client upload}: send files to the server's verified drop. */
@Command(
    name = "upload",
    footerHeading = "%nExamples%n",
    footer = {
      "  auth-client upload report.csv big.iso",
      "  auth-client upload --overwrite report.csv",
      "  auth-client upload --watch /var/spool/out --done /var/spool/sent   (stops on SIGTERM: 143)"
    },
    mixinStandardHelpOptions = true,
    description = "Upload files over one verified connection; each is SHA-256 checked end to end.")
final class UploadCommand implements Callable<Integer> {
  @Mixin ClientExitStatus exitStatus;

  @Spec CommandSpec spec;

  @Mixin ServerOptions target;

  @Option(
      names = "--resume",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description =
          "Continue an interrupted upload from where the server's kept copy ends, once its SHA-256 "
              + "is checked against this file's start (default); --no-resume starts over.")
  boolean resume;

  @Option(names = "--overwrite", description = "Replace files of the same name on the server.")
  boolean overwrite;

  @Mixin ProgressOption progress;

  @Mixin TransferTimeoutOption timeout;

  @Option(
      names = "--watch",
      paramLabel = "DIR",
      description =
          "Upload every file that lands in DIR once it is complete (renamed in, or unchanged for "
              + "--settle; dotfiles and *.tmp ignored), then move it to --done or --delete it. "
              + "Refused files stay and are retried; runs until SIGTERM.")
  Path watch;

  @Option(
      names = "--done",
      paramLabel = "DIR",
      description = "With --watch: move each stored file here.")
  Path done;

  @Option(names = "--delete", description = "With --watch: delete each file once stored.")
  boolean delete;

  @Option(
      names = "--settle",
      paramLabel = "DURATION",
      defaultValue = "2s",
      converter = DurationConverter.class,
      description =
          "With --watch: how long a file must stay unchanged before it is sent "
              + "(default: ${DEFAULT-VALUE}).")
  Duration settle;

  @Option(
      names = "--poll",
      paramLabel = "DURATION",
      defaultValue = "1s",
      converter = DurationConverter.class,
      description = "With --watch: how often DIR is listed (default: ${DEFAULT-VALUE}).")
  Duration poll;

  @Parameters(paramLabel = "FILE", arity = "0..*", description = "Files to upload.")
  List<Path> files = List.of();

  @Override
  public Integer call() throws Exception {
    if (watch != null) {
      return watch();
    }
    if (done != null || delete) {
      throw new ParameterException(spec.commandLine(), "--done and --delete need --watch DIR");
    }
    if (files.isEmpty()) {
      throw new ParameterException(spec.commandLine(), "give the FILEs to upload, or --watch DIR");
    }
    AuthgateClient client = target.client(timeout.get());
    checkFiles();
    if (totalBytes() >= WARM_UP_FROM_BYTES) {
      // Compiles the crypto on the other core while this one connects and proves itself.
      CryptoWarmup.startInBackground(CryptoWarmup.Side.SENDER);
    }
    // Ctrl-C or SIGTERM mid-file: stop after the chunk being sent, end the session cleanly, say
    // what the server kept and how to go on. Only an interruption of this very command.
    UploadInterruption interruption =
        new UploadInterruption(
            progress.show() ? new ProgressBarListener() : UploadListener.silent(),
            progress.show(),
            timeout.get().plusSeconds(5),
            spec.commandLine().getErr());
    interruption.install();
    try {
      return upload(client, interruption);
    } finally {
      interruption.finished();
    }
  }

  /** Refuses --watch options that do not go together, before anything connects. */
  private void checkWatchOptions() throws NoSuchFileException {
    if (!files.isEmpty()) {
      throw new ParameterException(spec.commandLine(), "--watch takes no FILE arguments");
    }
    if (done != null && delete) {
      throw new ParameterException(
          spec.commandLine(),
          "give --done DIR or --delete, not both: stored files are either moved to DIR or"
              + " deleted (drop one)");
    }
    if (done == null && !delete) {
      throw new ParameterException(
          spec.commandLine(), "--watch needs --done DIR or --delete: what to do with stored files");
    }
    if (poll.compareTo(Duration.ofMillis(10)) < 0) {
      throw new ParameterException(spec.commandLine(), "--poll must be at least 10ms");
    }
    if (!Files.isDirectory(watch)) {
      throw new NoSuchFileException(watch + ": no such directory");
    }
    if (done != null
        && done.toAbsolutePath().normalize().equals(watch.toAbsolutePath().normalize())) {
      throw new ParameterException(spec.commandLine(), "--done must not be the watched folder");
    }
  }

  private int watch() throws Exception {
    checkWatchOptions();
    AuthgateClient client = target.client(timeout.get());
    WatchOptions options =
        WatchOptions.deleting(watch).movingTo(done).timing(settle, poll).overwriting(overwrite);
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    FolderWatcher watcher = new FolderWatcher(client, options, new WatchReport(out, err, watch));
    err.println(
        "auth-client: watching "
            + TerminalText.escape(watch.toString())
            + " (settle "
            + WatchReport.format(settle)
            + "); stored files are "
            + (done == null ? "deleted" : "moved to " + TerminalText.escape(done.toString())));
    err.flush();
    // SIGTERM or Ctrl-C: finish the current chunk, close the session (the server keeps the partial
    // for the next run), then let the JVM exit.
    java.util.concurrent.CountDownLatch finished = new java.util.concurrent.CountDownLatch(1);
    Thread stopper =
        new Thread(
            () -> {
              watcher.stop();
              try {
                finished.await(
                    timeout.get().toMillis() + 5_000, java.util.concurrent.TimeUnit.MILLISECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "watch-stop");
    Runtime.getRuntime().addShutdownHook(stopper);
    try {
      watcher.run();
      return ExitCode.OK.code();
    } finally {
      finished.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(stopper);
      } catch (IllegalStateException alreadyShuttingDown) {
        // The hook is what stopped us.
      }
    }
  }

  /** Reports the watcher: stored files on stdout, everything that needs a retry on stderr. */
  private record WatchReport(PrintWriter out, PrintWriter err, Path folder)
      implements FolderWatcher.Listener {
    @Override
    public void stored(Path file, UploadOutcome outcome, Path movedTo) {
      out.println(TerminalText.escape(outcome.describe()));
      out.flush();
    }

    @Override
    public void refused(Path file, UploadOutcome outcome, Duration retryIn) {
      warn(outcome.describe() + "; it stays in " + folder + ", retrying in " + format(retryIn));
    }

    @Override
    public void skipped(Path file, String why, Duration retryIn) {
      warn(
          "skipping "
              + file.getFileName()
              + ": "
              + why
              + "; it stays in "
              + folder
              + ", retrying in "
              + format(retryIn));
    }

    @Override
    public void disconnected(Exception failure, Duration retryIn) {
      warn(Failures.describe(failure) + "; reconnecting in " + format(retryIn));
    }

    private void warn(String line) {
      err.println("auth-client: " + TerminalText.escape(line));
      err.flush();
    }

    private static String format(Duration wait) {
      return String.format(java.util.Locale.ROOT, "%.1f s", wait.toMillis() / 1000.0);
    }
  }

  private int upload(AuthgateClient client, UploadInterruption interruption) throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    int refused = 0;
    try (VerifiedConnection connection = client.connect()) {
      Uploader uploader = new Uploader(connection, interruption);
      uploader.cancelWhen(interruption::requested);
      for (int i = 0; i < files.size(); i++) {
        Path file = files.get(i);
        if (interruption.requested()) {
          return interrupted("interrupted before sending " + notSent(i));
        }
        UploadOutcome outcome;
        try {
          outcome = uploader.upload(file, file.getFileName().toString(), overwrite, resume);
        } catch (UploadCancelledException e) {
          return interrupted(
              interruption.stoppedNote()
                  + (i + 1 < files.size() ? "; not sent: " + notSent(i + 1) : ""));
        }
        out.println(TerminalText.escape(outcome.describe()));
        out.flush();
        refused += outcome.stored() ? 0 : 1;
      }
    } catch (RuntimeException | IOException e) {
      if (interruption.requested()) {
        // A failure because the JVM is shutting down (e.g. "Shutdown in progress" from a library
        // that registers its own hook) is the interruption, not a failure to report as such.
        String hedged = interruption.hedgedNote();
        return interrupted(hedged == null ? "interrupted" : hedged);
      }
      throw e;
    }
    return refused == 0 ? ExitCode.OK.code() : ExitCode.TRANSFER.code();
  }

  /** Says {@code note} as the command's last line; the exit status a signal gives. */
  private int interrupted(String note) {
    PrintWriter err = spec.commandLine().getErr();
    // A fresh line after the progress bar (and the terminal's ^C); none in a log.
    err.println((progress.show() ? "\n" : "") + "auth-client: " + TerminalText.escape(note));
    err.flush();
    return ExitCode.INTERRUPTED.code();
  }

  private String notSent(int from) {
    List<Path> rest = files.subList(from, files.size());
    return rest.size() == 1 ? rest.get(0).toString() : rest.size() + " files from " + rest.get(0);
  }

  /** Uploads at least this large start a crypto warm-up; smaller ones would not gain from it. */
  static final long WARM_UP_FROM_BYTES = 16L << 20;

  private long totalBytes() throws IOException {
    long total = 0;
    for (Path file : files) {
      total += Files.size(file);
    }
    return total;
  }

  private void checkFiles() throws IOException {
    for (Path file : files) {
      String notText = LocalNames.problem(file.toString());
      if (notText != null && !Files.exists(file)) {
        throw new IllegalArgumentException(file + ": " + notText);
      }
      // A FILE argument that names nothing to upload is a usage error (2), as in the Python client.
      if (!Files.exists(file)) {
        throw new IllegalArgumentException(file + ": no such file");
      }
      if (!Files.isRegularFile(file)) {
        throw new IllegalArgumentException(
            file + " is not a regular file; only files can be uploaded");
      }
      if (!Files.isReadable(file)) {
        throw new IOException("cannot read " + file + ": permission denied");
      }
      String problem = UploadNames.problem(file.getFileName().toString());
      if (problem != null) {
        throw new IllegalArgumentException(file + ": " + problem);
      }
    }
  }
}
