package dev.authgate.client.cli;

import dev.authgate.client.AuthgateClient;
import dev.authgate.client.connect.VerifiedConnection;
import dev.authgate.client.upload.UploadListener;
import dev.authgate.client.upload.UploadOutcome;
import dev.authgate.client.upload.Uploader;
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
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code auth-client upload}: send files to the server's verified drop. */
@Command(
    name = "upload",
    mixinStandardHelpOptions = true,
    description = "Upload files over one verified connection; each is SHA-256 checked end to end.")
final class UploadCommand implements Callable<Integer> {
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

  @Option(
      names = "--progress",
      negatable = true,
      description = "Show a progress bar on stderr (default: when stderr is a terminal).")
  Boolean progress;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      defaultValue = "30s",
      converter = DurationConverter.class,
      description = "Limit for connecting and each server reply (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Parameters(paramLabel = "FILE", arity = "1..*", description = "Files to upload.")
  List<Path> files;

  @Override
  public Integer call() throws IOException {
    AuthgateClient client = target.client(timeout);
    checkFiles();
    if (totalBytes() >= WARM_UP_FROM_BYTES) {
      // Compiles the crypto on the other core while this one connects and proves itself.
      CryptoWarmup.startInBackground(CryptoWarmup.Side.SENDER);
    }
    InProgress inProgress =
        new InProgress(showProgress() ? new ProgressBarListener() : UploadListener.silent());
    // Ctrl-C or SIGTERM mid-file: say what the server kept and how to go on. Removed before
    // returning, so only an interruption of this very command prints it.
    Thread interrupted =
        new Thread(
            () -> {
              String note = inProgress.interruptedNote();
              if (note != null) {
                System.err.println("\nauth-client: " + TerminalText.escape(note));
              }
            },
            "upload-interrupted");
    Runtime.getRuntime().addShutdownHook(interrupted);
    try {
      return upload(client, inProgress);
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(interrupted);
      } catch (IllegalStateException alreadyShuttingDown) {
        // The hook is running or about to: it says what it has to.
      }
    }
  }

  private int upload(AuthgateClient client, UploadListener listener) throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    int refused = 0;
    try (VerifiedConnection connection = client.connect()) {
      Uploader uploader = new Uploader(connection, listener);
      for (Path file : files) {
        UploadOutcome outcome =
            uploader.upload(file, file.getFileName().toString(), overwrite, resume);
        out.println(TerminalText.escape(outcome.describe()));
        out.flush();
        refused += outcome.stored() ? 0 : 1;
      }
    }
    return refused == 0 ? ExitCode.OK.code() : ExitCode.TRANSFER.code();
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

  /** Remembers the file being sent, for the note an interruption prints. */
  private static final class InProgress implements UploadListener {
    private final UploadListener next;
    private volatile String name;
    private volatile long size;
    private volatile long position;

    InProgress(UploadListener next) {
      this.next = next;
    }

    @Override
    public void started(String name, long size, long offset) {
      this.size = size;
      this.position = offset;
      this.name = name;
      next.started(name, size, offset);
    }

    @Override
    public void advanced(long position) {
      this.position = position;
      next.advanced(position);
    }

    @Override
    public void ended(UploadOutcome outcome) {
      name = null;
      next.ended(outcome);
    }

    /** What to tell the person who interrupted us, or null if no file was being sent. */
    String interruptedNote() {
      String current = name;
      if (current == null) {
        return null;
      }
      return "interrupted while sending "
          + current
          + ": the server keeps what it received and verified (up to "
          + position
          + " of "
          + size
          + " bytes); run the same command again to continue from there";
    }
  }

  private boolean showProgress() {
    if (progress != null) {
      return progress;
    }
    return "1".equals(System.getenv("AUTHGATE_STDERR_TTY"));
  }

  private void checkFiles() throws IOException {
    for (Path file : files) {
      if (!Files.exists(file)) {
        throw new NoSuchFileException(file + ": no such file");
      }
      if (!Files.isRegularFile(file)) {
        throw new IOException(file + " is not a regular file; only files can be uploaded");
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
