package dev.authgate.client.download;

/**
 * Hears how a download goes, for progress display. Called on the downloading thread;
 * implementations must be quick.
 */
public interface DownloadListener {
  /** The data starts: {@code size} bytes in all, from {@code offset}. */
  void started(String name, long size, long offset);

  /** {@code position} bytes of the file are on disk. */
  void advanced(long position);

  /** The download ended, fetched or not. */
  void ended(DownloadOutcome outcome);

  /** A listener that shows nothing. */
  static DownloadListener silent() {
    return new DownloadListener() {
      @Override
      public void started(String name, long size, long offset) {}

      @Override
      public void advanced(long position) {}

      @Override
      public void ended(DownloadOutcome outcome) {}
    };
  }
}
