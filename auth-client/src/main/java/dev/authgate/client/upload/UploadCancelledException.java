package dev.authgate.client.upload;

import java.io.InterruptedIOException;

/**
 * An upload stopped between chunks because its caller asked it to ({@link Uploader#cancelWhen}).
 * The server keeps what it received and verified; the same upload with resume continues from there.
 */
public final class UploadCancelledException extends InterruptedIOException {
  private static final long serialVersionUID = 1L;

  /** Stopped sending {@code name} after {@code position} of {@code size} bytes. */
  public UploadCancelledException(String name, long position, long size) {
    super("stopped sending " + name + " after " + position + " of " + size + " bytes");
    bytesTransferred = (int) Math.min(Integer.MAX_VALUE, position);
  }
}
