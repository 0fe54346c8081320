package dev.authgate.server.cli;

import dev.authgate.server.cli.convert.DurationConverter;
import dev.authgate.server.hooks.UploadHooks;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** {@code serve}'s upload hooks: a command and/or a URL told about each stored file. */
final class HookOptions {
  @Option(
      names = "--on-upload",
      paramLabel = "COMMAND",
      description =
          "Run this program (words split on spaces; no shell) after each verified file is stored,"
              + " with the stored path, client id, size and SHA-256 appended as arguments and in"
              + " AUTHGATE_PATH, AUTHGATE_CLIENT_ID, AUTHGATE_NAME, AUTHGATE_SIZE, AUTHGATE_SHA256."
              + " Its exit status is audited (upload.hook); it never affects the upload.")
  String command;

  @Option(
      names = "--on-upload-url",
      paramLabel = "URL",
      description =
          "POST each stored file's client id, name, path, size and SHA-256 as JSON to this http(s)"
              + " URL, retrying with backoff (upload.webhook in the audit log).")
  String url;

  @Option(
      names = "--hook-timeout",
      paramLabel = "DURATION",
      defaultValue = "60s",
      converter = DurationConverter.class,
      description =
          "How long --on-upload may run before it is killed, and one POST may take"
              + " (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(
      names = "--hook-concurrency",
      paramLabel = "N",
      defaultValue = "4",
      description = "Hooks running at once, of each kind (default: ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(
      names = "--hook-queue",
      paramLabel = "N",
      defaultValue = "1000",
      description =
          "Hooks that may wait to run; beyond that they are dropped and audited, the files stay"
              + " (default: ${DEFAULT-VALUE}).")
  int queue;

  @Option(
      names = "--on-upload-url-attempts",
      paramLabel = "N",
      defaultValue = "5",
      description = "Tries per POST, 1 s, 2 s, 4 s ... apart (default: ${DEFAULT-VALUE}).")
  int attempts;

  /** The hooks to run; a usage error for a program that cannot run or a URL that is not http(s). */
  UploadHooks.Config config(CommandLine commandLine) {
    List<String> argv = command == null ? List.of() : List.of(command.trim().split("\\s+"));
    if (!argv.isEmpty()) {
      Path program = Path.of(argv.getFirst());
      if (!Files.isRegularFile(program) || !Files.isExecutable(program)) {
        throw new CommandLine.ParameterException(
            commandLine, "--on-upload: " + program + " is not an executable file");
      }
    }
    URI uri = null;
    if (url != null) {
      try {
        uri = new URI(url);
      } catch (URISyntaxException e) {
        uri = null;
      }
      if (uri == null
          || uri.getHost() == null
          || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
        throw new CommandLine.ParameterException(
            commandLine, "--on-upload-url '" + url + "': use an http:// or https:// URL");
      }
    }
    if (concurrency < 1 || queue < 1 || attempts < 1) {
      throw new CommandLine.ParameterException(
          commandLine,
          "--hook-concurrency, --hook-queue and --on-upload-url-attempts must be at least 1");
    }
    return new UploadHooks.Config(argv, uri, timeout, concurrency, queue, attempts);
  }
}
