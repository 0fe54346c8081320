package dev.authgate.server.hooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.authgate.protocol.crypto.Digests;
import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.audit.AuditLog;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Upload hooks: each stored file, once, after it is in place; never in an upload's way. */
@Tag("system")
class UploadHooksTest {
  @TempDir Path dir;
  private final List<AuditEvent> audited = new CopyOnWriteArrayList<>();
  private final AuditLog audit = audited::add;
  private UploadHooks hooks;
  private HttpServer http;

  @AfterEach
  void stop() {
    if (hooks != null) {
      hooks.close(Duration.ofSeconds(10));
    }
    if (http != null) {
      http.stop(0);
    }
  }

  private Path script(String body) throws IOException {
    Path script = dir.resolve("hook.sh");
    Files.writeString(script, "#!/bin/sh\n" + body + "\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
    return script;
  }

  private UploadHooks hooks(List<String> command, URI url, Duration timeout, int queue) {
    hooks =
        new UploadHooks(
            audit,
            new UploadHooks.Config(command, url, timeout, 1, queue, 3),
            dir.resolve("uploads"),
            Clock.systemUTC());
    return hooks;
  }

  /** A file stored under {@code name} with {@code content}, and its announcement. */
  private AuditEvent stored(String name, String content) throws IOException {
    Path file = dir.resolve("uploads/sensor-1").resolve(name);
    Files.createDirectories(file.getParent());
    Path temp = file.resolveSibling("." + name + ".tmp");
    Files.writeString(temp, content);
    Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return announced(name, content);
  }

  private static AuditEvent announced(String name, String content) {
    return AuditEvent.of(AuditEventType.UPLOAD_STORED)
        .with("conn", "c-1")
        .with("client_id", "sensor-1")
        .with("name", name)
        .with("size", (long) content.getBytes(StandardCharsets.UTF_8).length)
        .with("sha256", sha256(content));
  }

  private AuditEvent stored(String name) throws IOException {
    return stored(name, "hello");
  }

  private static String sha256(String content) {
    return HexFormat.of().formatHex(Digests.sha256(content.getBytes(StandardCharsets.UTF_8)));
  }

  private List<Path> snapshotsLeft() throws IOException {
    Path snapshots = dir.resolve("uploads/.hooks");
    if (!Files.isDirectory(snapshots)) {
      return List.of();
    }
    try (var files = Files.list(snapshots)) {
      return files.toList();
    }
  }

  private List<AuditEvent> events(String name) {
    return audited.stream().filter(e -> e.name().equals(name)).toList();
  }

  @Test
  void theCommandGetsPathClientSizeAndShaAsArgumentsAndEnvironment_oncePerStoredFile()
      throws IOException {
    Path log = dir.resolve("hook.log");
    hooks(
        List.of(
            script(
                    "echo \"$1 $3 $4 $5 | $AUTHGATE_NAME $AUTHGATE_CLIENT_ID $AUTHGATE_STORED_PATH"
                        + " $(cat \"$2\") $(cat \"$AUTHGATE_PATH\")\" >> "
                        + log)
                .toString()),
        null,
        Duration.ofSeconds(60),
        10);

    hooks.record(stored("a.log"));
    hooks.record(
        AuditEvent.of(AuditEventType.UPLOAD_FAILED)
            .with("client_id", "sensor-1")
            .with("name", "b"));
    hooks.record(AuditEvent.of(AuditEventType.AUTH_ACCEPTED).with("client_id", "sensor-1"));

    await().atMost(Duration.ofSeconds(60)).until(() -> events("upload.hook").size() == 1);
    Path expected = dir.resolve("uploads/sensor-1/a.log").toAbsolutePath();
    assertThat(Files.readAllLines(log))
        .containsExactly(
            "-- sensor-1 5 " + sha256("hello") + " | a.log sensor-1 " + expected + " hello hello");
    assertThat(snapshotsLeft()).as("the snapshot is removed after its hook").isEmpty();
    AuditEvent outcome = events("upload.hook").getFirst();
    assertThat(outcome.fields()).containsEntry("outcome", "ok").containsEntry("exit", 0);
    assertThat(audited.getFirst().name()).isEqualTo("upload.stored");
  }

  @Test
  void aFailingCommandIsAuditedWithItsExitStatus() throws IOException {
    hooks(List.of(script("exit 3").toString()), null, Duration.ofSeconds(60), 10);

    hooks.record(stored("a.log"));

    await().atMost(Duration.ofSeconds(60)).until(() -> events("upload.hook").size() == 1);
    assertThat(events("upload.hook").getFirst().fields())
        .containsEntry("outcome", "failed")
        .containsEntry("exit", 3);
  }

  @Test
  void aHangingCommandIsKilledAtItsTimeout_andNeverHoldsUpRecord() throws IOException {
    Path started = dir.resolve("started");
    hooks(
        List.of(script("touch " + started + "; exec sleep 600").toString()),
        null,
        Duration.ofMillis(500),
        10);

    hooks.record(stored("a.log"));
    // record returned while the hook runs: the upload that triggered it is not waiting.
    await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(started));
    assertThat(events("upload.stored")).hasSize(1);

    await().atMost(Duration.ofSeconds(60)).until(() -> events("upload.hook").size() == 1);
    assertThat(events("upload.hook").getFirst().fields()).containsEntry("outcome", "timeout");
  }

  @Test
  void whenTheQueueIsFullTheHookIsDroppedAndAudited_theEventStillRecorded() throws IOException {
    Path release = dir.resolve("release");
    hooks(List.of(script(waitFor(release)).toString()), null, Duration.ofSeconds(60), 1);

    for (int i = 0; i < 5; i++) {
      hooks.record(stored("f" + i));
    }

    assertThat(events("upload.stored")).hasSize(5);
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                events("upload.hook").stream()
                        .filter(e -> "dropped".equals(e.fields().get("outcome")))
                        .count()
                    >= 3);
    Files.createFile(release);
    await().atMost(Duration.ofSeconds(60)).until(() -> events("upload.hook").size() == 5);
  }

  @Test
  void aProgramThatCannotStartIsAudited() throws IOException {
    hooks(List.of(dir.resolve("missing").toString()), null, Duration.ofSeconds(60), 10);

    hooks.record(stored("a.log"));

    await().atMost(Duration.ofSeconds(60)).until(() -> events("upload.hook").size() == 1);
    assertThat(events("upload.hook").getFirst().fields()).containsEntry("outcome", "not-started");
  }

  @Test
  void theUrlGetsOneJsonPostPerStoredFile() throws IOException {
    ConcurrentLinkedQueue<String> bodies = new ConcurrentLinkedQueue<>();
    URI url = serve(200, bodies, new AtomicInteger(0));
    hooks(List.of(), url, Duration.ofSeconds(30), 10);

    hooks.record(stored("a.log"));

    await().atMost(Duration.ofSeconds(60)).until(() -> events("upload.webhook").size() == 1);
    assertThat(bodies).hasSize(1);
    assertThat(bodies.peek())
        .contains(
            "{\"event\":\"upload.stored\",\"client_id\":\"sensor-1\",\"name\":\"a.log\","
                + "\"path\":\""
                + dir.resolve("uploads/.hooks").toAbsolutePath()
                + "/",
            "\"stored_path\":\""
                + dir.resolve("uploads/sensor-1/a.log").toAbsolutePath()
                + "\",\"size\":5,\"sha256\":\""
                + sha256("hello")
                + "\"}");
    assertThat(events("upload.webhook").getFirst().fields())
        .containsEntry("outcome", "ok")
        .containsEntry("status", 200)
        .containsEntry("attempts", 1);
  }

  @Test
  void aFailingUrlIsRetriedWithBackoffThenAuditedAsFailed() throws IOException {
    AtomicInteger calls = new AtomicInteger();
    URI url = serve(503, new ConcurrentLinkedQueue<>(), calls);
    hooks(List.of(), url, Duration.ofSeconds(30), 10);

    hooks.record(stored("a.log"));

    await().atMost(Duration.ofSeconds(60)).until(() -> events("upload.webhook").size() == 1);
    assertThat(calls.get()).isEqualTo(3);
    assertThat(events("upload.webhook").getFirst().fields())
        .containsEntry("outcome", "failed")
        .containsEntry("attempts", 3)
        .containsEntry("detail", "HTTP 503");
  }

  @Test
  void anUnreachableUrlFailsWithoutAffectingTheEvent() throws IOException {
    hooks(List.of(), URI.create("http://127.0.0.1:1/hook"), Duration.ofSeconds(5), 10);

    hooks.record(stored("a.log"));

    assertThat(events("upload.stored")).hasSize(1);
    await().atMost(Duration.ofSeconds(60)).until(() -> events("upload.webhook").size() == 1);
    assertThat(events("upload.webhook").getFirst().fields()).containsEntry("outcome", "failed");
  }

  @Test
  void theCommandGetsDashDashBeforeItsArgumentsAndOnlyPathLangAndItsOwnVariables()
      throws IOException {
    Path log = dir.resolve("env.log");
    hooks(
        List.of(script("echo \"first=$1\" > " + log + "; env >> " + log).toString()),
        null,
        Duration.ofSeconds(60),
        10);

    hooks.record(stored("a.log"));

    await().atMost(Duration.ofSeconds(60)).until(() -> events("upload.hook").size() == 1);
    List<String> lines = Files.readAllLines(log);
    assertThat(lines.getFirst()).isEqualTo("first=--");
    List<String> names =
        lines.stream().skip(1).filter(l -> l.contains("=")).map(l -> l.split("=")[0]).toList();
    // PWD, SHLVL and _ are the shell's own; everything else must be ours.
    assertThat(names)
        .allMatch(
            n ->
                n.startsWith("AUTHGATE_")
                    || List.of("PATH", "LANG", "PWD", "SHLVL", "_").contains(n),
            "only PATH, LANG and AUTHGATE_* variables")
        .contains("PATH", "AUTHGATE_SHA256", "AUTHGATE_PATH");
    assertThat(System.getenv()).containsKey("HOME");
    assertThat(names).doesNotContain("HOME");
  }

  @Test
  void aNameOverwrittenBeforeItsHookRanLeavesTheHookTheBytesItWasTold() throws IOException {
    Path release = dir.resolve("release");
    Path seen = dir.resolve("seen.log");
    hooks(
        List.of(
            script(
                    "touch "
                        + dir.resolve("started")
                        + "; "
                        + waitFor(release)
                        + "echo \"$5 $(sha256sum < \"$2\" | cut -d' ' -f1)\" >> "
                        + seen)
                .toString()),
        null,
        Duration.ofSeconds(60),
        10);

    hooks.record(stored("a.log", "first version"));
    // its hook has started (and waits) when the client overwrites the name
    await().atMost(Duration.ofSeconds(60)).until(() -> snapshotsLeft().size() == 1 && started());
    hooks.record(stored("a.log", "second version, longer"));
    Files.createFile(release);

    await().atMost(Duration.ofSeconds(60)).until(() -> events("upload.hook").size() == 2);
    assertThat(Files.readAllLines(seen))
        .containsExactlyInAnyOrder(
            sha256("first version") + " " + sha256("first version"),
            sha256("second version, longer") + " " + sha256("second version, longer"));
    assertThat(events("upload.hook")).allMatch(e -> "ok".equals(e.fields().get("outcome")));
    assertThat(snapshotsLeft()).isEmpty();
  }

  /** Shell that waits until {@code file} exists: a hook held until the test lets it go. */
  private static String waitFor(Path file) {
    return "while [ ! -e " + file + " ]; do sleep 0.05; done; ";
  }

  private boolean started() {
    return Files.exists(dir.resolve("started"));
  }

  @Test
  void hooksWaitingInTheQueueKeepNoOldVersionsOnDisk_theNewestUploadsHookRuns() throws IOException {
    Path release = dir.resolve("release");
    Path seen = dir.resolve("seen.log");
    hooks(
        List.of(
            script(waitFor(release) + "echo \"$AUTHGATE_NAME $(cat \"$2\")\" >> " + seen)
                .toString()),
        null,
        Duration.ofSeconds(60),
        10);
    hooks.record(stored("busy.log", "keeps the only hook thread busy"));
    await().atMost(Duration.ofSeconds(60)).until(() -> snapshotsLeft().size() == 1);

    for (int i = 1; i <= 5; i++) {
      hooks.record(stored("a.log", "version " + i));
    }

    // busy.log's snapshot and the newest a.log's: the four older versions are not held
    assertThat(snapshotsLeft()).hasSize(2);
    Files.createFile(release);
    await().atMost(Duration.ofSeconds(60)).until(() -> events("upload.hook").size() == 6);
    assertThat(Files.readAllLines(seen))
        .containsExactlyInAnyOrder("busy.log keeps the only hook thread busy", "a.log version 5");
    assertThat(events("upload.hook"))
        .filteredOn(e -> "replaced".equals(e.fields().get("outcome")))
        .hasSize(4);
    assertThat(snapshotsLeft()).isEmpty();
  }

  @Test
  void aSnapshotThatIsNotTheAnnouncedBytesIsNeverHandedToAHook() throws IOException {
    Path ran = dir.resolve("ran");
    hooks(List.of(script("touch " + ran).toString()), null, Duration.ofSeconds(60), 10);
    stored("a.log", "what another server stored meanwhile");

    hooks.record(announced("a.log", "what this upload stored"));

    await().atMost(Duration.ofSeconds(60)).until(() -> events("upload.hook").size() == 1);
    assertThat(events("upload.hook").getFirst().fields()).containsEntry("outcome", "replaced");
    assertThat(ran).doesNotExist();
    assertThat(snapshotsLeft()).isEmpty();
  }

  @Test
  void aReceiverThatTricklesItsAnswerCannotHoldAHookThread() throws IOException {
    http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    http.setExecutor(Executors.newCachedThreadPool());
    http.createContext(
        "/hook",
        exchange -> {
          exchange.getRequestBody().readAllBytes();
          exchange.sendResponseHeaders(200, 0);
          try (var body = exchange.getResponseBody()) {
            for (int i = 0; i < 600; i++) { // one byte every 100 ms, for at most a minute
              body.write('.');
              body.flush();
              Thread.sleep(100);
            }
          } catch (IOException | InterruptedException e) {
            // the client gave up: what this test wants
          }
        });
    http.start();
    URI url = URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/hook");
    hooks(List.of(), url, Duration.ofSeconds(1), 10);

    hooks.record(stored("a.log"));

    await().atMost(Duration.ofSeconds(60)).until(() -> events("upload.webhook").size() == 1);
    assertThat(events("upload.webhook").getFirst().fields())
        .containsEntry("outcome", "failed")
        .containsEntry("attempts", 3)
        .containsEntry("detail", "no complete answer within 1000 ms");
  }

  @Test
  void aSnapshotDirectoryOpenToOthersIsRefusedAndNoHookReadsThroughIt() throws IOException {
    Path ran = dir.resolve("ran");
    java.nio.file.Files.createDirectories(dir.resolve("uploads/.hooks"));
    Files.setPosixFilePermissions(
        dir.resolve("uploads/.hooks"), PosixFilePermissions.fromString("rwxrwxrwx"));
    hooks(List.of(script("touch " + ran).toString()), null, Duration.ofSeconds(60), 10);

    hooks.record(stored("a.log"));

    await().atMost(Duration.ofSeconds(60)).until(() -> events("upload.hook").size() == 1);
    assertThat(events("upload.hook").getFirst().fields())
        .containsEntry("outcome", "not-started")
        .hasEntrySatisfying("detail", d -> assertThat(d.toString()).contains("mode 0700"));
    assertThat(ran).doesNotExist();
  }

  private URI serve(int status, ConcurrentLinkedQueue<String> bodies, AtomicInteger calls)
      throws IOException {
    http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    http.createContext(
        "/hook",
        exchange -> {
          calls.incrementAndGet();
          bodies.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          exchange.sendResponseHeaders(status, -1);
          exchange.close();
        });
    http.start();
    return URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/hook");
  }
}
