package dev.authgate.client.cli;

import dev.authgate.client.upload.UploadListener;
import dev.authgate.client.upload.UploadOutcome;
import java.time.Duration;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** Shows a progress bar with rate and ETA on stderr for each file. Not thread-safe. */
final class ProgressBarListener implements UploadListener {
  private ProgressBar bar;

  @Override
  public void started(String name, long size, long offset) {
    bar =
        new ProgressBarBuilder()
            .setTaskName(name.length() > 24 ? name.substring(0, 21) + "..." : name)
            .setInitialMax(size)
            .startsFrom(offset, Duration.ZERO)
            .setUnit("MiB", 1 << 20)
            .showSpeed()
            .setStyle(ProgressBarStyle.ASCII)
            .setUpdateIntervalMillis(200)
            .build();
  }

  @Override
  public void advanced(long position) {
    if (bar != null) {
      bar.stepTo(position);
    }
  }

  @Override
  public void ended(UploadOutcome outcome) {
    if (bar != null) {
      bar.close();
      bar = null;
    }
  }
}
