package dev.authgate.client.cli;

import dev.authgate.client.download.DownloadListener;
import dev.authgate.client.download.DownloadOutcome;
import dev.authgate.client.upload.UploadListener;
import dev.authgate.client.upload.UploadOutcome;
import java.time.Duration;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

/**
 * Shows a progress line (bar, sizes, rate, ETA: as much as the terminal's width holds) on stderr
 * for each file uploaded or fetched. Not thread-safe.
 */
final class ProgressBarListener implements UploadListener, DownloadListener {
  private ProgressBar bar;

  @Override
  public void started(String name, long size, long offset) {
    // The library keeps time, redraws and finds the terminal's width; ProgressLine draws a line
    // that fits that width, however narrow.
    bar =
        new ProgressBarBuilder()
            .setTaskName(name)
            .setInitialMax(size)
            .startsFrom(offset, Duration.ZERO)
            .setRenderer((state, width) -> padded(name, state, width))
            .setUpdateIntervalMillis(200)
            .build();
  }

  /**
   * The line for now, padded with spaces to the width: the library returns the cursor and writes
   * over the last line without clearing it, so a line shorter than the last (the bar dropped when
   * the rate grew a digit) would leave the old line's end on screen.
   */
  private static String padded(String name, me.tongfei.progressbar.ProgressState state, int width) {
    String line =
        ProgressLine.render(
            name,
            state.getCurrent(),
            state.getMax(),
            state.getCurrent() - state.getStart(),
            state.getElapsedAfterStart(),
            width);
    return width > line.length() ? line + " ".repeat(width - line.length()) : line;
  }

  @Override
  public void advanced(long position) {
    if (bar != null) {
      bar.stepTo(position);
    }
  }

  @Override
  public void ended(UploadOutcome outcome) {
    close();
  }

  @Override
  public void ended(DownloadOutcome outcome) {
    close();
  }

  private void close() {
    if (bar != null) {
      bar.close();
      bar = null;
    }
  }
}
