package dev.authgate.server.hooks;

import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.audit.AuditLog;
import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Tells other software about each stored file: after the verified file was renamed into place (the
 * {@code upload.stored} audit event, written only then, once per file), runs a command ({@code
 * --on-upload}) and/or POSTs JSON to a URL ({@code --on-upload-url}). An audit-log decorator, so
 * the upload path does not know hooks exist.
 *
 * <p>Never in an upload's way: {@link #record} only queues (bounded); commands run on their own
 * threads with a time limit and bounded concurrency; a URL is retried with backoff off any thread
 * that serves clients. A full queue drops the hook, never the file. Every outcome is audited:
 * {@code upload.hook} (command: {@code ok}, {@code failed} with the exit status, {@code timeout},
 * {@code not-started}, {@code dropped}, {@code replaced}) and {@code upload.webhook} ({@code ok}
 * with the HTTP status, {@code failed} after the last attempt, {@code dropped}, {@code replaced}).
 *
 * <p>A hook reads a {@link HookSnapshot} (a hard link taken while the upload still holds the name,
 * checked against the announced SHA-256), gets {@code --} before its arguments and an environment
 * of PATH, LANG and the event's variables only.
 *
 * <p>Thread-safe.
 */
public final class UploadHooks implements AuditLog, Closeable {
  /**
   * What to run, and within which bounds.
   *
   * @param command the program and its arguments (no shell), or empty for none
   * @param url where to POST, or null for none
   * @param timeout how long a command may run, and one HTTP attempt may take
   * @param concurrency commands (and POSTs) running at once
   * @param queue hooks that may wait; more are dropped (and audited)
   * @param attempts tries per POST, with exponential backoff between them
   */
  public record Config(
      List<String> command, URI url, Duration timeout, int concurrency, int queue, int attempts) {
    /** Validates and copies. */
    public Config {
      command = List.copyOf(command);
      if (concurrency < 1 || queue < 1 || attempts < 1) {
        throw new IllegalArgumentException("hook concurrency, queue and attempts must be positive");
      }
    }

    /** Whether there is anything to run. */
    public boolean any() {
      return !command.isEmpty() || url != null;
    }
  }

  private static final Duration FIRST_RETRY = Duration.ofSeconds(1);

  private final AuditLog audit;
  private final Config config;
  private final Path uploads;
  private final Clock clock;
  private final ThreadPoolExecutor commands;
  private final ThreadPoolExecutor posts;
  private final ScheduledExecutorService retries;
  private final HttpClient http;
  private final AtomicInteger waitingRetries = new AtomicInteger();

  /** The newest snapshot of each stored name with hooks still to run on it. */
  private final java.util.concurrent.ConcurrentHashMap<String, HookSnapshot> latestByName =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * @param audit where every event goes first, and the hooks' outcomes after
   * @param uploads the uploads root: a stored file is {@code uploads/CLIENT/NAME}
   */
  public UploadHooks(AuditLog audit, Config config, Path uploads, Clock clock) {
    this.audit = audit;
    this.config = config;
    this.uploads = uploads.toAbsolutePath().normalize();
    this.clock = clock;
    HookSnapshot.sweep(this.uploads, clock.instant());
    this.commands = pool("authgate-hook", config);
    this.posts = pool("authgate-webhook", config);
    this.retries =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "authgate-webhook-retry");
              t.setDaemon(true);
              return t;
            });
    this.http =
        config.url() == null
            ? null
            : HttpClient.newBuilder()
                .connectTimeout(config.timeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
  }

  private static ThreadPoolExecutor pool(String name, Config config) {
    AtomicInteger n = new AtomicInteger();
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(
            config.concurrency(),
            config.concurrency(),
            30,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(config.queue()),
            r -> {
              Thread t = new Thread(r, name + "-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            },
            new ThreadPoolExecutor.AbortPolicy());
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  @Override
  public void record(AuditEvent event) {
    audit.record(event);
    if (event.type() != AuditEventType.UPLOAD_STORED) {
      return;
    }
    StoredFile stored = StoredFile.of(event, uploads);
    if (stored == null) {
      return;
    }
    int users = (config.command().isEmpty() ? 0 : 1) + (config.url() == null ? 0 : 1);
    HookSnapshot snapshot;
    try {
      snapshot = HookSnapshot.take(uploads, stored.path(), stored.size(), stored.sha256(), users);
    } catch (IOException e) {
      String detail = "cannot take the hooks' snapshot of the file: " + e.getMessage();
      if (!config.command().isEmpty()) {
        audit.record(
            stored
                .event(AuditEventType.UPLOAD_HOOK)
                .with("outcome", "not-started")
                .with("detail", detail));
      }
      if (config.url() != null) {
        audit.record(
            stored
                .event(AuditEventType.UPLOAD_WEBHOOK)
                .with("outcome", "failed")
                .with("detail", detail));
      }
      return;
    }
    String name = stored.clientId() + "/" + stored.name();
    snapshot.onReleased(() -> latestByName.remove(name, snapshot));
    HookSnapshot previous = latestByName.put(name, snapshot);
    if (previous != null) {
      previous.supersede();
    }
    Snapshotted file = new Snapshotted(stored, snapshot);
    if (!config.command().isEmpty()) {
      submit(commands, () -> runCommand(file), file, AuditEventType.UPLOAD_HOOK);
    }
    if (config.url() != null) {
      submit(posts, () -> post(file, 1), file, AuditEventType.UPLOAD_WEBHOOK);
    }
  }

  private void submit(
      ThreadPoolExecutor pool, Runnable task, Snapshotted file, AuditEventType event) {
    try {
      pool.execute(task);
    } catch (RejectedExecutionException full) {
      file.snapshot().release();
      audit.record(
          file.stored()
              .event(event)
              .with("outcome", "dropped")
              .with("detail", "more than " + config.queue() + " hooks were waiting"));
    }
  }

  /**
   * Runs the command with {@code --} and then the snapshot's path, client id, size and SHA-256 as
   * its last arguments and in AUTHGATE_* variables, in a minimal environment; its output is
   * discarded (it should log for itself).
   */
  private void runCommand(Snapshotted file) {
    try {
      if (file.verified(audit, AuditEventType.UPLOAD_HOOK)) {
        runVerified(file.stored(), file.snapshot().path());
      }
    } finally {
      file.snapshot().release();
    }
  }

  private void runVerified(StoredFile file, Path snapshot) {
    List<String> argv = new ArrayList<>(config.command());
    argv.add("--");
    argv.add(snapshot.toString());
    argv.add(file.clientId());
    argv.add(Long.toString(file.size()));
    argv.add(file.sha256());
    ProcessBuilder builder =
        new ProcessBuilder(argv)
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(ProcessBuilder.Redirect.DISCARD);
    builder.environment().clear();
    builder.environment().putAll(file.environment(snapshot, System.getenv()));
    Instant start = clock.instant();
    AuditEvent outcome = file.event(AuditEventType.UPLOAD_HOOK);
    try {
      Process process = builder.start();
      if (!process.waitFor(config.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
        outcome
            .with("outcome", "timeout")
            .with("detail", "still running after " + config.timeout().toMillis() + " ms; killed");
      } else {
        int exit = process.exitValue();
        outcome.with("outcome", exit == 0 ? "ok" : "failed").with("exit", exit);
      }
    } catch (IOException e) {
      outcome.with("outcome", "not-started").with("detail", String.valueOf(e.getMessage()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      outcome.with("outcome", "interrupted");
    }
    audit.record(outcome.with("duration_ms", Duration.between(start, clock.instant()).toMillis()));
  }

  /**
   * One POST attempt; a failure schedules the next with exponential backoff and jitter. The whole
   * exchange (connect, request, the answer's headers and body) is bounded by the hook timeout, so a
   * receiver that trickles its answer cannot hold a hook thread.
   */
  private void post(Snapshotted file, int attempt) {
    if (attempt == 1 && !file.verified(audit, AuditEventType.UPLOAD_WEBHOOK)) {
      file.snapshot().release();
      return;
    }
    String why;
    CompletableFuture<HttpResponse<Void>> exchange =
        http.sendAsync(
            HttpRequest.newBuilder(config.url())
                .timeout(config.timeout())
                .header("Content-Type", "application/json")
                .header("User-Agent", "authgate")
                .POST(HttpRequest.BodyPublishers.ofString(json(file)))
                .build(),
            HttpResponse.BodyHandlers.discarding());
    try {
      int status = exchange.get(config.timeout().toMillis(), TimeUnit.MILLISECONDS).statusCode();
      if (status / 100 == 2) {
        file.snapshot().release();
        audit.record(
            file.stored()
                .event(AuditEventType.UPLOAD_WEBHOOK)
                .with("outcome", "ok")
                .with("status", status)
                .with("attempts", attempt));
        return;
      }
      why = "HTTP " + status;
    } catch (TimeoutException e) {
      exchange.cancel(true);
      why = "no complete answer within " + config.timeout().toMillis() + " ms";
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      why =
          cause.getClass().getSimpleName()
              + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
    } catch (InterruptedException e) {
      exchange.cancel(true);
      file.snapshot().release();
      Thread.currentThread().interrupt();
      return;
    }
    retryOrFail(file, attempt, why);
  }

  /** After a failed attempt: the next one with exponential backoff and jitter, or the failure. */
  private void retryOrFail(Snapshotted file, int attempt, String why) {
    if (attempt >= config.attempts() || waitingRetries.get() >= config.queue()) {
      file.snapshot().release();
      audit.record(
          file.stored()
              .event(AuditEventType.UPLOAD_WEBHOOK)
              .with("outcome", "failed")
              .with("attempts", attempt)
              .with("detail", why));
      return;
    }
    long backoff = FIRST_RETRY.toMillis() << Math.min(attempt - 1, 10);
    long delay = backoff / 2 + ThreadLocalRandom.current().nextLong(backoff / 2 + 1);
    waitingRetries.incrementAndGet();
    retries.schedule(
        () -> {
          waitingRetries.decrementAndGet();
          submit(posts, () -> post(file, attempt + 1), file, AuditEventType.UPLOAD_WEBHOOK);
        },
        delay,
        TimeUnit.MILLISECONDS);
  }

  /**
   * {@code {"event":"upload.stored","client_id":…,"name":…,"path":…,"stored_path":…,"size":…,
   * "sha256":…}}: {@code path} is the snapshot (exactly the announced bytes, there until the
   * receiver has answered), {@code stored_path} where the file lives under its name.
   */
  static String json(Snapshotted file) {
    StoredFile stored = file.stored();
    com.fasterxml.jackson.databind.node.ObjectNode node =
        new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
    node.put("event", AuditEventType.UPLOAD_STORED.wireName());
    node.put("client_id", stored.clientId());
    node.put("name", stored.name());
    node.put("path", file.snapshot().path().toString());
    node.put("stored_path", stored.path().toString());
    node.put("size", stored.size());
    node.put("sha256", stored.sha256());
    return node.toString();
  }

  /** Hooks running or waiting now (for tests and shutdown). */
  int pending() {
    return commands.getActiveCount()
        + commands.getQueue().size()
        + posts.getActiveCount()
        + posts.getQueue().size()
        + waitingRetries.get();
  }

  /**
   * Stops taking hooks and gives the running ones up to {@code grace} to finish; retries still
   * waiting are abandoned (the audit log has each file's {@code upload.stored} to replay from).
   */
  public void close(Duration grace) {
    retries.shutdownNow();
    commands.shutdown();
    posts.shutdown();
    try {
      long end = System.nanoTime() + grace.toNanos();
      commands.awaitTermination(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
      posts.awaitTermination(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    commands.shutdownNow();
    posts.shutdownNow();
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(5));
  }
}
