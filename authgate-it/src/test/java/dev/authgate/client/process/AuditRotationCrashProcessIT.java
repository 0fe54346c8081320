package dev.authgate.client.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.authgate.client.connect.Connector;
import dev.authgate.client.connect.HostKeyTrust;
import dev.authgate.client.connect.ServerAddress;
import dev.authgate.client.connect.VerifiedConnection;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.keyfile.Credential;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server killed with SIGKILL again and again while it rotates and compresses its audit log
 * every few events, then restarted on the same directory: after each restart no partial gzip is
 * left, every line of every file (live, rotated, gzipped) is a whole JSON object, no event appears
 * twice (a rotated file and its gzip are never both kept), and every verified connection the
 * clients completed before the kill is in the log.
 */
class AuditRotationCrashProcessIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int ROUNDS = 6;

  @TempDir Path dir;

  @Test
  void killsMidRotationLeaveWholeLinesNoDuplicatesAndNoPartialFiles() throws Exception {
    Jars.provision(dir, "s1");
    Credential credential = Credential.load(dir.resolve("s1.credential"));
    long completed = 0;
    int caughtMidRotation = 0;
    for (int round = 0; round < ROUNDS; round++) {
      List<Path> leftBehind = leftovers();
      Jars.Server server =
          Jars.serve(
              dir,
              List.of(),
              Jars.serveArgs(
                  "--audit-max-size", "2K", "--audit-max-files", "100000", "--audit-compress"));
      assertCleanedUp(leftBehind, "after a restart, round " + round);
      assertLogIsWhole(completed);
      Set<Path> plainBefore = plainRotated();

      AtomicBoolean stop = new AtomicBoolean();
      AtomicLong pings = new AtomicLong();
      Thread pinger =
          Thread.ofVirtual()
              .start(() -> pingUntilStopped(credential, server.address(), stop, pings));
      // Rotation every few events. Odd rounds kill after a delay, even rounds the moment a rotated
      // file is seen still uncompressed: between the rename and the gzip's rename into place.
      if (round % 2 == 0) {
        awaitUncompressedRotation(Duration.ofSeconds(10));
      } else {
        Thread.sleep(300 + 150L * round);
      }
      server.process().destroyForcibly();
      assertThat(server.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
      stop.set(true);
      pinger.join(Duration.ofSeconds(30));
      completed += pings.get();
      Set<Path> plainNow = plainRotated();
      boolean mid = !leftovers().isEmpty() || !plainBefore.containsAll(plainNow);
      caughtMidRotation += mid ? 1 : 0;
    }
    System.out.printf(
        "%d kills, %d of them mid-compression; %d verified connections%n",
        ROUNDS, caughtMidRotation, completed);
    List<Path> leftBehind = leftovers();
    Jars.Server last =
        Jars.serve(
            dir,
            List.of(),
            Jars.serveArgs("--audit-max-size", "2K", "--audit-max-files", "100000"));
    try {
      assertCleanedUp(leftBehind, "after the last restart");
      assertLogIsWhole(completed);
    } finally {
      last.process().destroy();
      last.process().waitFor(30, TimeUnit.SECONDS);
    }
  }

  /**
   * What the kill left behind is gone once the server listens; and the server's own start-up events
   * may rotate the log at once (2 KiB), so a compression it began itself is let finish.
   */
  private void assertCleanedUp(List<Path> leftBehind, String when) throws IOException {
    assertThat(leftBehind.stream().filter(Files::exists).toList())
        .as("%s: the killed server's leftovers", when)
        .isEmpty();
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(() -> assertThat(leftovers()).as(when).isEmpty());
  }

  /** Verified connections (handshake, PING, CLOSE) until told to stop or the server dies. */
  private static void pingUntilStopped(
      Credential credential, String address, AtomicBoolean stop, AtomicLong pings) {
    Connector connector =
        new Connector(
            credential.identity(),
            HostKeyTrust.of(credential),
            Duration.ofSeconds(10),
            RandomSource.secure());
    ServerAddress server = ServerAddress.parse(address);
    while (!stop.get()) {
      try (VerifiedConnection connection = connector.connect(server)) {
        connection.ping();
        pings.incrementAndGet();
      } catch (IOException e) {
        return; // the server was killed
      }
    }
  }

  /** Polls until a rotated, not yet compressed file exists (or {@code limit} passes). */
  private void awaitUncompressedRotation(Duration limit) throws IOException {
    long end = System.nanoTime() + limit.toNanos();
    while (System.nanoTime() < end) {
      try (Stream<Path> files = Files.list(dir)) {
        if (files
            .map(f -> f.getFileName().toString())
            .anyMatch(
                n -> n.matches("audit\\.jsonl\\.\\d{4}-\\d\\d-\\d\\d\\.\\d+(\\.gz\\.partial)?"))) {
          return;
        }
      } catch (java.io.UncheckedIOException e) {
        // A file vanished while listed: the compressor at work; look again.
      }
    }
  }

  /** Rotated files that are not compressed (a kill came before their gzip was complete). */
  private Set<Path> plainRotated() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(f -> f.getFileName().toString().matches("audit\\.jsonl\\..*\\.\\d+"))
          .collect(java.util.stream.Collectors.toSet());
    }
  }

  /** Rotated files caught between rename and compression, and partial gzips. */
  private List<Path> leftovers() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(
              f -> {
                String name = f.getFileName().toString();
                return name.startsWith("audit.jsonl.")
                    && (name.endsWith(".partial")
                        || !name.endsWith(".gz") && Files.exists(Path.of(f + ".gz")));
              })
          .toList();
    }
  }

  /** Every line of every audit file parses, none twice, and at least {@code accepted} logins. */
  private void assertLogIsWhole(long accepted) throws IOException {
    List<Path> files;
    try (Stream<Path> listed = Files.list(dir)) {
      files = listed.filter(f -> f.getFileName().toString().startsWith("audit.jsonl")).toList();
    }
    Set<String> seen = new HashSet<>();
    List<String> duplicates = new ArrayList<>();
    long logins = 0;
    for (Path file : files) {
      for (String line : lines(file)) {
        JsonNode event = JSON.readTree(line);
        assertThat(event.isObject()).as("%s: %s", file.getFileName(), line).isTrue();
        // Timestamp, event and remote port identify a line: a port is not reused within a ms.
        String key =
            event.path("ts").asText() + event.path("event").asText() + event.path("remote");
        if (!seen.add(key)) {
          duplicates.add(file.getFileName() + ": " + line);
        }
        logins += event.path("event").asText().equals("auth.accepted") ? 1 : 0;
      }
    }
    assertThat(duplicates).as("events read twice").isEmpty();
    assertThat(logins).as("logins in the log").isGreaterThanOrEqualTo(accepted);
  }

  private static List<String> lines(Path file) throws IOException {
    try (InputStream raw = Files.newInputStream(file);
        InputStream in =
            file.getFileName().toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    }
  }
}
