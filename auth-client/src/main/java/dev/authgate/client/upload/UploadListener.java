package dev.authgate.client.upload;

/**
 * Hears how an upload goes, for progress display. Called on the uploading thread; implementations
 * must be quick.
 */
public interface UploadListener {
  /** The server is ready: {@code size} bytes in all, starting from {@code offset}. */
  void started(String name, long size, long offset);

  /** {@code position} bytes of the file have been sent. */
  void advanced(long position);

  /** The upload ended, stored or not. */
  void ended(UploadOutcome outcome);

  /** A listener that shows nothing. */
  static UploadListener silent() {
    return new UploadListener() {
      @Override
      public void started(String name, long size, long offset) {}

      @Override
      public void advanced(long position) {}

      @Override
      public void ended(UploadOutcome outcome) {}
    };
  }
}
