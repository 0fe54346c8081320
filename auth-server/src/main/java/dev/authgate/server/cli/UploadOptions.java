package dev.authgate.server.cli;

import dev.authgate.server.cli.convert.DurationConverter;
import dev.authgate.server.cli.convert.SizeConverter;
import dev.authgate.server.upload.UploadLimits;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** {@code serve}'s upload options. */
final class UploadOptions {

  @Option(
      names = "--uploads",
      paramLabel = "DIR",
      defaultValue = "uploads",
      description =
          "Where verified clients' files are stored, one directory per client"
              + " (default: ${DEFAULT-VALUE}).")
  Path uploads;

  @Option(
      names = "--published",
      paramLabel = "DIR",
      defaultValue = "published",
      description =
          "Files machines may fetch: DIR/CLIENT-ID/ for one client, DIR/_all/ for every client;"
              + " drop files in by rename, no restart needed (default: ${DEFAULT-VALUE}).")
  Path published;

  @Option(
      names = "--max-file-size",
      paramLabel = "SIZE",
      defaultValue = "10G",
      converter = SizeConverter.class,
      description = "Largest single upload, e.g. 500M, 10G (default: ${DEFAULT-VALUE}).")
  long maxFileSize;

  @Option(
      names = "--quota",
      paramLabel = "SIZE",
      defaultValue = "50G",
      converter = SizeConverter.class,
      description = "Most bytes one client may store (default: ${DEFAULT-VALUE}).")
  long quota;

  @Option(
      names = "--partial-keep",
      paramLabel = "DURATION",
      defaultValue = "24h",
      converter = DurationConverter.class,
      description =
          "How long an interrupted upload is kept for --resume (default: ${DEFAULT-VALUE}).")
  Duration partialKeep;

  UploadLimits limits() {
    return new UploadLimits(uploads, maxFileSize, quota, partialKeep);
  }
}
