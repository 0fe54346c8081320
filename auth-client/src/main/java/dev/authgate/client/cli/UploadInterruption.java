package dev.authgate.client.cli;

import dev.authgate.client.upload.UploadListener;
import dev.authgate.client.upload.UploadOutcome;
import dev.authgate.protocol.text.TerminalText;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Ctrl-C or SIGTERM during {@code auth-client upload FILE...}: the upload stops at the end of the
 * chunk being sent, the session ends with CLOSE (so the server audits an interrupted upload and
 * keeps its prefix, not a connection cut in the middle of a frame), and the one line printed says
 * what the server has: a file whose last chunk was already sent is waited for and reported as the
 * server answered, never "interrupted".
 *
 * <p>The shutdown hook only asks and waits; the command's own thread, which owns the connection,
 * stops, closes and prints. If that thread does not finish within the wait (a server that stopped
 * answering), the hook prints what it knows, hedged.
 */
final class UploadInterruption implements UploadListener {
  private final UploadListener next;
  private final Duration wait;
  private final PrintWriter err;
  private final boolean freshLine;
  private final CountDownLatch finished = new CountDownLatch(1);
  private final Thread hook;
  private volatile boolean requested;
  private volatile String name;
  private volatile long size;
  private volatile long position;

  /**
   * Reports to {@code next}; on an interruption waits up to {@code wait} for the command to stop.
   * With {@code freshLine} (a progress bar is drawn) its line starts on a line of its own.
   */
  UploadInterruption(UploadListener next, boolean freshLine, Duration wait, PrintWriter err) {
    this.next = next;
    this.freshLine = freshLine;
    this.wait = wait;
    this.err = err;
    this.hook = new Thread(this::interrupted, "upload-interrupted");
  }

  /** Listens for Ctrl-C and SIGTERM until {@link #finished()}. */
  void install() {
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /** The command has stopped: an interruption from now on needs nothing from it. */
  void finished() {
    finished.countDown();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException alreadyShuttingDown) {
      // The hook is running and sees the latch.
    }
  }

  /** Whether Ctrl-C or SIGTERM asked the upload to stop. */
  boolean requested() {
    return requested;
  }

  private void interrupted() {
    requested = true;
    try {
      if (finished.await(wait.toMillis(), TimeUnit.MILLISECONDS)) {
        return;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    String hedged = hedgedNote();
    if (hedged != null) {
      err.println((freshLine ? "\n" : "") + "auth-client: " + TerminalText.escape(hedged));
      err.flush();
    }
  }

  /**
   * What can be said when the upload did not stop at a chunk's end (the server did not answer in
   * time, or the shutdown broke the connection): the kept bytes are a bound, not a count. Null if
   * no file was being sent.
   */
  String hedgedNote() {
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

  /**
   * The line for an upload stopped after a chunk: the server has exactly what was sent, and ends
   * the session with it kept for a resume.
   */
  String stoppedNote() {
    String current = name;
    return "interrupted while sending "
        + (current == null ? "a file" : current)
        + ": the server keeps the "
        + position
        + " of "
        + size
        + " bytes it received and verified; run the same command again to continue from there";
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
}
