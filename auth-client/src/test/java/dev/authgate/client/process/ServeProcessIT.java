package dev.authgate.client.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code auth-server serve} as a real process: it starts, serves a ping, and stops on SIGTERM. */
class ServeProcessIT {
  @TempDir Path dir;

  @Test
  void sigtermStopsTheServerCleanlyWithExitZeroAndServerStoppedAudited() throws Exception {
    assertThat(
            Jars.run(
                dir,
                Jars.server(
                    List.of(), "keys", "add", "s1", "--keys", "keys", "--out", "s1.credential")))
        .isZero();
    Jars.Server server =
        Jars.serve(
            dir, List.of(), "serve", "--port", "0", "--keys", "keys", "--audit-log", "audit.jsonl");
    assertThat(server.address()).matches("127\\.0\\.0\\.1:\\d+");

    assertThat(
            Jars.run(
                dir,
                Jars.client(
                    List.of(), "ping", "--server", server.address(), "--key", "s1.credential")))
        .isZero();

    server.process().destroy();
    assertThat(server.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(server.process().exitValue()).isZero();
    List<String> audit = Files.readAllLines(dir.resolve("audit.jsonl"));
    assertThat(audit.get(audit.size() - 1)).contains("\"event\":\"server.stopped\"");
    assertThat(audit).anyMatch(l -> l.contains("\"event\":\"auth.accepted\""));
    assertThat(Files.readString(dir.resolve("server.err"))).isEmpty();
  }

  @Test
  void sigtermExitsWithinTheGracePeriodWhileAVerifiedClientNeverReads() throws Exception {
    assertThat(
            Jars.run(
                dir,
                Jars.server(
                    List.of(), "keys", "add", "s1", "--keys", "keys", "--out", "s1.credential")))
        .isZero();
    Jars.Server server =
        Jars.serve(
            dir,
            List.of(),
            "serve",
            "--port",
            "0",
            "--keys",
            "keys",
            "--audit-log",
            "audit.jsonl",
            "--shutdown-grace",
            "1s");
    int port = Integer.parseInt(server.address().replaceAll(".*:", ""));
    var credential = dev.authgate.protocol.keyfile.Credential.load(dir.resolve("s1.credential"));
    try (var client = dev.authgate.server.testing.RawClient.connect(port, "127.0.0.1", 4096)) {
      var channel = client.handshake(credential.identity());
      java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();
      Thread flood =
          Thread.ofVirtual()
              .start(
                  () -> {
                    try {
                      for (long i = 0; i < 5_000_000; i++) {
                        channel.send(new dev.authgate.protocol.session.SessionMessage.Ping(i));
                        sent.incrementAndGet();
                      }
                    } catch (java.io.IOException e) {
                      // Cut off by the server's stop: expected.
                    }
                  });
      long[] last = {-1};
      org.awaitility.Awaitility.await()
          .atMost(java.time.Duration.ofSeconds(60))
          .pollInterval(java.time.Duration.ofMillis(300))
          .until(
              () -> {
                long now = sent.get();
                boolean stuck = now > 0 && now == last[0];
                last[0] = now;
                return stuck;
              });

      long start = System.nanoTime();
      server.process().destroy();
      assertThat(server.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
      java.time.Duration took = java.time.Duration.ofNanos(System.nanoTime() - start);

      assertThat(took).isLessThan(java.time.Duration.ofSeconds(1 + 2));
      assertThat(server.process().exitValue()).isZero();
      flood.join(java.time.Duration.ofSeconds(10));
    }
    List<String> audit = Files.readAllLines(dir.resolve("audit.jsonl"));
    assertThat(audit.get(audit.size() - 1)).contains("\"event\":\"server.stopped\"");
    assertThat(audit).anyMatch(l -> l.contains("\"outcome\":\"server-shutdown\""));
  }
}
