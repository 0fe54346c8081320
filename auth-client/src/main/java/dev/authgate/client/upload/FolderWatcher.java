package dev.authgate.client.upload;

import dev.authgate.client.connect.ConnectionSource;
import dev.authgate.client.connect.Reconnector;
import dev.authgate.client.connect.VerifiedConnection;
import dev.authgate.protocol.session.UploadNames;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;

/**
 * Uploads every file that lands in a folder, for machines nobody watches.
 *
 * <p><b>When a file is taken.</b> Regular files directly in the folder (not in subfolders, not
 * symbolic links), except dotfiles and {@code *.tmp}, once they have stayed the same (identity,
 * size, modification and change time) for the settle time. Writing a file elsewhere (or as a
 * dotfile or {@code .tmp}) and renaming it in is the sure way; the settle time guards writers that
 * do not. A file that changes while it is sent is not stored (the server refuses its digest) and is
 * taken again once it settles.
 *
 * <p><b>After it is stored</b> — the server has checked its SHA-256 against ours and forced it to
 * disk — it is moved to the done folder (a number is appended if the name is taken there) or
 * deleted. Only then is it gone from the folder.
 *
 * <p><b>Nothing is lost.</b> A refused upload ({@code exists}, {@code quota}, {@code busy}, …)
 * leaves the file where it is, is reported, and is tried again after a per-file backoff (reset when
 * the file changes). A lost connection or a restarting server is reconnected with backoff and
 * jitter, and the interrupted file resumes from what the server kept. If the connection was lost
 * after the server accepted the file's name, the next attempt replaces that name on the server: it
 * can only hold this very file, stored by the attempt whose answer was lost. A refusal that waiting
 * cannot fix (a revoked or wrong key) ends {@link #run()} with that exception.
 *
 * <p><b>Stopping.</b> {@link #stop()} ends {@link #run()} after the chunk being sent; the server
 * keeps the partial file for the next run to resume.
 *
 * <p>{@link #run()} runs on one thread, which owns the connection; {@link #stop()} may be called
 * from any thread.
 */
public final class FolderWatcher {
  /** Hears what the watcher does. Called on its thread; implementations must be quick. */
  public interface Listener {
    /** {@code file} was stored and then moved to {@code movedTo} (null: deleted). */
    void stored(Path file, UploadOutcome outcome, Path movedTo);

    /**
     * {@code file} was refused or not stored; it stays and is tried again after {@code retryIn}.
     */
    void refused(Path file, UploadOutcome outcome, Duration retryIn);

    /** {@code file} cannot be taken ({@code why}); it stays, tried again after {@code retryIn}. */
    void skipped(Path file, String why, Duration retryIn);

    /** The connection failed or could not be made; the next attempt is in {@code retryIn}. */
    void disconnected(Exception failure, Duration retryIn);

    /** Progress of the file being sent. */
    default UploadListener progress() {
      return UploadListener.silent();
    }
  }

  private final ConnectionSource client;
  private final WatchOptions options;
  private final Listener listener;
  private final RandomGenerator random = new SecureRandom();
  private final CountDownLatch stopping = new CountDownLatch(1);

  /** What each candidate looked like when last seen, and since when it has looked so. */
  private final Map<String, Seen> seen = new HashMap<>();

  /** Files refused, with when they may be tried again. */
  private final Map<String, Refusal> refusals = new HashMap<>();

  /** Names whose last upload was cut after the server accepted the name (see class comment). */
  private final Set<String> uncertain = new HashSet<>();

  private VerifiedConnection connection;
  private Uploader uploader;
  private int connectionFailures;

  private record Seen(SourceState state, long sinceNanos) {}

  private record Refusal(SourceState state, int count, long notBeforeNanos) {}

  /** Watches as {@code options} say, uploading with {@code client}. */
  public FolderWatcher(ConnectionSource client, WatchOptions options, Listener listener) {
    this.client = Objects.requireNonNull(client);
    this.options = Objects.requireNonNull(options);
    this.listener = Objects.requireNonNull(listener);
  }

  /** Asks {@link #run()} to return after the current chunk. */
  public void stop() {
    stopping.countDown();
  }

  private boolean stopped() {
    return stopping.getCount() == 0;
  }

  /**
   * Watches until {@link #stop()}.
   *
   * @throws IOException a failure waiting cannot fix (e.g. the key was revoked), or the folder
   *     cannot be listed
   */
  public void run() throws IOException, InterruptedException {
    try {
      while (!stopped()) {
        List<Path> ready = ready();
        if (ready.isEmpty()) {
          // Nothing to send: no session held open against the server's idle limit.
          disconnect();
          stopping.await(options.poll().toMillis(), TimeUnit.MILLISECONDS);
          continue;
        }
        for (Path file : ready) {
          if (stopped() || !send(file)) {
            break;
          }
        }
      }
    } finally {
      disconnect();
    }
  }

  /**
   * Sends {@code file} and deals with the outcome.
   *
   * @return false if the connection was lost (the caller lists the folder again after the wait)
   */
  private boolean send(Path file) throws IOException, InterruptedException {
    String name = file.getFileName().toString();
    SourceState before = readableState(file, name);
    if (before == null) {
      return true;
    }
    if (!connected()) {
      return false;
    }
    boolean[] accepted = {false};
    uploader = new Uploader(connection, progressNoting(accepted));
    uploader.cancelWhen(this::stopped);
    UploadOutcome outcome;
    try {
      outcome = uploader.upload(file, name, options.overwrite() || uncertain.contains(name), true);
    } catch (NoSuchFileException | AccessDeniedException e) {
      // The file went away or became unreadable before anything was sent.
      seen.remove(name);
      return true;
    } catch (UploadCancelledException e) {
      disconnect();
      return false;
    } catch (IOException e) {
      if (Reconnector.isPermanent(e)) {
        throw e;
      }
      if (accepted[0]) {
        uncertain.add(name);
      }
      lost(e);
      return false;
    }
    connectionFailures = 0;
    if (!outcome.stored()) {
      refused(file, name, before, outcome);
      return true;
    }
    stored(file, name, before, outcome);
    return true;
  }

  /** The file's state, or null if it is gone (forgotten) or cannot be read (skipped). */
  private SourceState readableState(Path file, String name) throws IOException {
    try {
      SourceState state = SourceState.of(file);
      if (!Files.isReadable(file)) {
        throw new AccessDeniedException(file.toString());
      }
      return state;
    } catch (NoSuchFileException gone) {
      seen.remove(name);
      return null;
    } catch (IOException e) {
      skip(file, name, "cannot read it: " + e.getMessage(), null);
      return null;
    }
  }

  /** The listener's progress, noting in {@code accepted} that the server took the upload. */
  private UploadListener progressNoting(boolean[] accepted) {
    UploadListener progress = listener.progress();
    return new UploadListener() {
      @Override
      public void started(String n, long size, long offset) {
        accepted[0] = true;
        progress.started(n, size, offset);
      }

      @Override
      public void advanced(long position) {
        progress.advanced(position);
      }

      @Override
      public void ended(UploadOutcome outcome) {
        progress.ended(outcome);
      }
    };
  }

  /** A refused file waits its retry delay, longer each time while it stays as it was. */
  private void refused(Path file, String name, SourceState before, UploadOutcome outcome) {
    if (Uploader.SOURCE_CHANGED.equals(outcome.reason())) {
      seen.remove(name); // taken again once it settles
      return;
    }
    Refusal last = refusals.get(name);
    int count = last != null && last.state().equals(before) ? last.count() + 1 : 1;
    Duration wait = options.retry().delay(count, random);
    refusals.put(name, new Refusal(before, count, System.nanoTime() + wait.toNanos()));
    listener.refused(file, outcome, wait);
  }

  /** A stored file is moved or deleted, unless it changed since it was read. */
  private void stored(Path file, String name, SourceState before, UploadOutcome outcome)
      throws IOException {
    uncertain.remove(name);
    refusals.remove(name);
    seen.remove(name);
    SourceState after;
    try {
      after = SourceState.of(file);
    } catch (NoSuchFileException gone) {
      listener.stored(file, outcome, null);
      return;
    }
    if (!after.equals(before)) {
      // Written to after it settled and was stored: the stored copy is not what the file is now.
      // Send it again (replacing the stored copy) once it settles.
      uncertain.add(name);
      return;
    }
    listener.stored(file, outcome, finish(file, name));
  }

  private boolean connected() throws IOException, InterruptedException {
    if (connection != null) {
      return true;
    }
    try {
      connection = client.connect();
      return true;
    } catch (IOException e) {
      if (Reconnector.isPermanent(e)) {
        throw e;
      }
      lost(e);
      return false;
    }
  }

  /** The connection failed: drop it and wait a backoff step (or until stopped). */
  private void lost(Exception failure) throws InterruptedException {
    disconnect();
    Duration wait =
        Reconnector.notBeforePenaltyEnds(
            failure, client.backoff().delay(++connectionFailures, random));
    listener.disconnected(failure, wait);
    stopping.await(wait.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void disconnect() {
    if (connection == null) {
      return;
    }
    try {
      connection.close();
    } catch (IOException ignored) {
      // Gone already.
    }
    connection = null;
    uploader = null;
  }

  /** Moves the stored {@code file} to the done folder, or deletes it; returns where it went. */
  private Path finish(Path file, String name) throws IOException {
    if (options.done() == null) {
      Files.deleteIfExists(file);
      return null;
    }
    Files.createDirectories(options.done());
    for (int n = 0; ; n++) {
      Path target = options.done().resolve(n == 0 ? name : name + "." + n);
      if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
        continue;
      }
      try {
        return Files.move(file, target);
      } catch (FileAlreadyExistsException raced) {
        // Someone else took the name meanwhile: try the next.
      }
    }
  }

  private void skip(Path file, String name, String why, SourceState state) {
    Refusal last = refusals.get(name);
    int count = last != null && Objects.equals(last.state(), state) ? last.count() + 1 : 1;
    Duration wait = options.retry().delay(count, random);
    refusals.put(name, new Refusal(state, count, System.nanoTime() + wait.toNanos()));
    listener.skipped(file, why, wait);
  }

  /** The files ready to send, oldest first. */
  private List<Path> ready() throws IOException {
    long now = System.nanoTime();
    List<Path> ready = new ArrayList<>();
    Map<Path, Long> modified = new HashMap<>();
    Set<String> present = new HashSet<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(options.folder())) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        if (name.startsWith(".") || name.endsWith(".tmp")) {
          continue;
        }
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
          continue;
        }
        present.add(name);
        SourceState state;
        try {
          state = SourceState.of(file);
        } catch (NoSuchFileException gone) {
          continue;
        }
        Refusal refusal = refusals.get(name);
        if (refusal != null) {
          if (refusal.state() != null && !refusal.state().equals(state)) {
            refusals.remove(name); // changed since: try it afresh
          } else if (now < refusal.notBeforeNanos()) {
            continue;
          }
        }
        Seen last = seen.get(name);
        if (last == null || !last.state().equals(state)) {
          seen.put(name, new Seen(state, now));
          if (!options.settle().isZero()) {
            continue;
          }
        } else if (now - last.sinceNanos() < options.settle().toNanos()) {
          continue;
        }
        String problem = UploadNames.problem(name);
        if (problem == null) {
          problem = LocalNames.problem(file);
        }
        if (problem != null) {
          if (refusal == null || now >= refusal.notBeforeNanos()) {
            skip(file, name, problem, state);
          }
          continue;
        }
        ready.add(file);
        modified.put(file, state.modifiedNanos());
      }
    }
    seen.keySet().retainAll(present);
    refusals.keySet().retainAll(present);
    uncertain.retainAll(present);
    ready.sort(Comparator.comparing(modified::get));
    return ready;
  }
}
