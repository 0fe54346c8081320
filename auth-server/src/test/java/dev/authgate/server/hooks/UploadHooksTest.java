package dev.authgate.server.hooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditLog;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Upload hooks: each stored file, once, after it is in place; never in an upload's way. */
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

  private static AuditEvent stored(String name) {
    return AuditEvent.of("upload.stored")
        .with("conn", "c-1")
        .with("client_id", "sensor-1")
        .with("name", name)
        .with("size", 5L)
        .with("sha256", "ab".repeat(32));
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
            script("echo \"$1 $2 $3 $4 | $AUTHGATE_NAME $AUTHGATE_CLIENT_ID\" >> " + log)
                .toString()),
        null,
        Duration.ofSeconds(60),
        10);

    hooks.record(stored("a.log"));
    hooks.record(AuditEvent.of("upload.failed").with("client_id", "sensor-1").with("name", "b"));
    hooks.record(AuditEvent.of("auth.accepted").with("client_id", "sensor-1"));

    await().atMost(Duration.ofSeconds(60)).until(() -> events("upload.hook").size() == 1);
    Path expected = dir.resolve("uploads/sensor-1/a.log").toAbsolutePath();
    assertThat(Files.readAllLines(log))
        .containsExactly(expected + " sensor-1 5 " + "ab".repeat(32) + " | a.log sensor-1");
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
    hooks(
        List.of(script("while [ ! -e " + release + " ]; do sleep 0.05; done").toString()),
        null,
        Duration.ofSeconds(60),
        1);

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
  void aProgramThatCannotStartIsAudited() {
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
    assertThat(bodies)
        .containsExactly(
            "{\"event\":\"upload.stored\",\"client_id\":\"sensor-1\",\"name\":\"a.log\","
                + "\"path\":\""
                + dir.resolve("uploads/sensor-1/a.log").toAbsolutePath()
                + "\",\"size\":5,\"sha256\":\""
                + "ab".repeat(32)
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
  void anUnreachableUrlFailsWithoutAffectingTheEvent() {
    hooks(List.of(), URI.create("http://127.0.0.1:1/hook"), Duration.ofSeconds(5), 10);

    hooks.record(stored("a.log"));

    assertThat(events("upload.stored")).hasSize(1);
    await().atMost(Duration.ofSeconds(60)).until(() -> events("upload.webhook").size() == 1);
    assertThat(events("upload.webhook").getFirst().fields()).containsEntry("outcome", "failed");
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
