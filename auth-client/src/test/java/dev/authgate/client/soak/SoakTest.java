package dev.authgate.client.soak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.authgate.client.chat.ChatClient;
import dev.authgate.client.connect.Connector;
import dev.authgate.client.connect.HostKeyTrust;
import dev.authgate.client.connect.ServerAddress;
import dev.authgate.client.connect.VerifiedConnection;
import dev.authgate.client.upload.UploadListener;
import dev.authgate.client.upload.Uploader;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.session.ChatMessage.Event;
import dev.authgate.protocol.testing.LeakLedger;
import dev.authgate.server.connection.ServerConfig;
import dev.authgate.server.connection.SessionLimits;
import dev.authgate.server.testing.NonReader;
import dev.authgate.server.testing.OpenSockets;
import dev.authgate.server.testing.TestServer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Load and soak, loopback only and bounded: a burst of 500 idle unauthenticated sockets, 200
 * slowloris handshakes and 500 verified clients that never read; 50 concurrent 10 MiB uploads
 * beside 50 chat members; then a steady mix with 10% hostile traffic. Descriptors, platform
 * threads, heap after GC and audit-log growth must stay bounded and come back down.
 *
 * <p>The normal suite runs a short form: 10 non-readers, 10 uploads, 20 chat members and a 15 s
 * mix. A non-reader is cut only once the server's write to it blocks, and filling a loopback
 * socket's buffers takes some 130 000 PINGs, so many of them cost tens of seconds of CPU on a busy
 * 2-core machine. {@code bin/soak} runs the full counts for 10 minutes ({@code -Dsoak.nonReaders},
 * {@code -Dsoak.uploads}, {@code -Dsoak.members}, {@code -Dsoak.seconds}). Deadlines are short here
 * because the test is about them: a handshake is cut after 5 s and a write blocked for 2 s ends its
 * session.
 */
@Tag("system")
class SoakTest {
  @TempDir Path dir;

  private static final int NON_READERS = Integer.getInteger("soak.nonReaders", 10);
  private static final int UPLOADS = Integer.getInteger("soak.uploads", 10);
  private static final int MEMBERS = Integer.getInteger("soak.members", 20);

  private final AtomicLong attempts = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private TestServer server;
  private final List<String> report = new ArrayList<>();

  record Sample(long sockets, long threads, long heapMb, long auditKb, int sessions) {
    String line(String phase) {
      return String.format(
          Locale.ROOT,
          "%-18s sockets %5d  platform threads %3d  heap after GC %4d MiB  audit %6d KiB  sessions %4d",
          phase,
          sockets,
          threads,
          heapMb,
          auditKb,
          sessions);
    }
  }

  @Test
  void underMixedAndHostileLoadResourcesStayBoundedAndComeBackDown() throws Exception {
    Duration length = Duration.ofSeconds(Long.getLong("soak.seconds", 15));
    ServerConfig config =
        ServerConfig.loopback(0, dir.resolve("uploads"))
            .withHandshakeTimeout(Duration.ofSeconds(5))
            .withIdleTimeout(Duration.ofSeconds(10))
            .withSessions(new SessionLimits(5000, 5000, Duration.ofSeconds(2)));
    server = TestServer.start(dir.resolve("server"), config);
    try {
      Credential legit = server.provision("legit");
      Credential stuck = server.provision("stuck");
      Sample start = sample();
      report.add(start.line("start"));
      Sample peak = burst(stuck);
      report.add(peak.line("after burst"));
      peak = max(peak, uploadsAndChat(legit));
      report.add(peak.line("uploads + chat"));
      peak = max(peak, steadyMix(legit, length));
      Sample end = settled();
      report.add(peak.line("peak"));
      report.add(end.line("end"));
      report.add(
          String.format(
              Locale.ROOT,
              "steady mix: %d connections, %d failed as intended (hostile)",
              attempts.get(),
              failures.get()));
      System.out.println(String.join("\n", report));

      assertThat(end.sessions()).isZero();
      assertThat(end.sockets()).isLessThanOrEqualTo(start.sockets() + 4);
      assertThat(end.threads()).isLessThanOrEqualTo(start.threads() + 8);
      assertThat(end.heapMb()).isLessThanOrEqualTo(start.heapMb() + 64);
      long auditBytes = Files.size(server.auditFile());
      assertThat(auditBytes / Math.max(1, attempts.get() + 700 + NON_READERS)).isLessThan(2048);
    } finally {
      server.close();
    }
  }

  /** Non-readers, then 500 idle sockets and 200 slowloris at once; all cut by their deadlines. */
  private Sample burst(Credential stuck) throws Exception {
    List<Socket> idle = new ArrayList<>();
    List<NonReader> nonReaders = new ArrayList<>();
    List<Thread> drippers = new ArrayList<>();
    try {
      for (int i = 0; i < NON_READERS; i++) {
        nonReaders.add(NonReader.connect(server.port(), stuck));
      }
      for (int i = 0; i < 500; i++) {
        idle.add(connectRaw());
      }
      for (int i = 0; i < 200; i++) {
        Socket slow = connectRaw();
        idle.add(slow);
        drippers.add(Thread.ofVirtual().start(() -> drip(slow)));
      }
      Sample during = sample();
      try {
        await().atMost(Duration.ofMinutes(3)).until(() -> server.server().verifiedSessions() == 0);
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        throw new AssertionError(
            server.server().verifiedSessions()
                + " non-reader sessions outlived their deadlines; threads (virtual ones too) are in "
                + dumpThreads(),
            e);
      }
      return during;
    } finally {
      for (Socket s : idle) {
        s.close();
      }
      for (NonReader n : nonReaders) {
        n.close();
      }
      for (Thread t : drippers) {
        t.join(Duration.ofSeconds(5));
      }
    }
  }

  /** Writes every thread's stack, virtual threads included, to a file; returns its path. */
  private Path dumpThreads() {
    Path file = Path.of("target", "soak-threads-" + System.nanoTime() + ".txt").toAbsolutePath();
    try {
      ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
          .dumpThreads(
              file.toString(),
              com.sun.management.HotSpotDiagnosticMXBean.ThreadDumpFormat.TEXT_PLAIN);
    } catch (IOException | RuntimeException e) {
      return Path.of("(no dump: " + e + ")");
    }
    return file;
  }

  private Socket connectRaw() throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 10_000);
    return socket;
  }

  private static void drip(Socket socket) {
    try {
      for (int i = 0; i < 50; i++) {
        socket.getOutputStream().write(0x02);
        Thread.sleep(200);
      }
    } catch (IOException | InterruptedException e) {
      // Cut at the handshake deadline: the point.
    }
  }

  /** Concurrent 10 MiB uploads while chat members talk. */
  private Sample uploadsAndChat(Credential legit) throws Exception {
    Path file = dir.resolve("ten.bin");
    byte[] bytes = new byte[10 << 20];
    ThreadLocalRandom.current().nextBytes(bytes);
    Files.write(file, bytes);
    List<ChatClient> members = new ArrayList<>();
    AtomicLong heard = new AtomicLong();
    for (int i = 0; i < MEMBERS; i++) {
      ChatClient member = new ChatClient(connect(legit));
      member.start(listener(heard));
      member.join("soak");
      members.add(member);
    }
    List<Thread> uploads = new ArrayList<>();
    for (int i = 0; i < UPLOADS; i++) {
      String name = "ten-" + i + ".bin";
      uploads.add(
          Thread.ofVirtual()
              .start(
                  () -> {
                    try (VerifiedConnection c = connect(legit)) {
                      assertThat(
                              new Uploader(c, UploadListener.silent())
                                  .upload(file, name, true, false)
                                  .stored())
                          .isTrue();
                    } catch (IOException e) {
                      throw new java.io.UncheckedIOException(e);
                    }
                  }));
    }
    Sample during = sample();
    for (int round = 0; round < 5; round++) {
      for (ChatClient member : members) {
        member.say("round " + round);
      }
    }
    for (Thread t : uploads) {
      t.join(Duration.ofMinutes(3));
    }
    await().atMost(Duration.ofSeconds(60)).until(() -> heard.get() >= 5L * MEMBERS * (MEMBERS - 1));
    for (ChatClient member : members) {
      member.close();
    }
    try (Stream<Path> stored = Files.list(dir.resolve("uploads/legit"))) {
      assertThat(stored.filter(p -> p.getFileName().toString().startsWith("ten-")))
          .hasSize(UPLOADS);
    }
    return during;
  }

  private static ChatClient.Listener listener(AtomicLong heard) {
    return new ChatClient.Listener() {
      @Override
      public void onEvent(Event event) {
        if (event.kind() == Event.Kind.MESSAGE) {
          heard.incrementAndGet();
        }
      }

      @Override
      public void onEnd(String reason, Exception failure) {}
    };
  }

  /** Until {@code length} has passed: pings and small uploads, one connection in ten hostile. */
  private Sample steadyMix(Credential legit, Duration length) throws Exception {
    byte[] forgedSecret = RandomSource.secure().bytes(32);
    LeakLedger.sawSecret(forgedSecret);
    Credential forged = new Credential("legit", "k1", forgedSecret, legit.hostKeys());
    long end = System.nanoTime() + length.toNanos();
    Sample peak = sample();
    List<Thread> workers = new ArrayList<>();
    for (int w = 0; w < 8; w++) {
      workers.add(
          Thread.ofVirtual()
              .start(
                  () -> {
                    while (System.nanoTime() < end) {
                      attempts.incrementAndGet();
                      try {
                        oneConnection(legit, forged);
                      } catch (IOException e) {
                        failures.incrementAndGet();
                      }
                    }
                  }));
    }
    while (System.nanoTime() < end) {
      Thread.sleep(2000);
      peak = max(peak, sample());
    }
    for (Thread t : workers) {
      t.join(Duration.ofSeconds(30));
    }
    return peak;
  }

  private void oneConnection(Credential legit, Credential forged) throws IOException {
    int dice = ThreadLocalRandom.current().nextInt(100);
    if (dice < 4) {
      connect(forged).close();
    } else if (dice < 7) {
      try (Socket garbage = connectRaw()) {
        garbage.getOutputStream().write("GET / HTTP/1.1\r\n\r\n".getBytes());
        garbage.getInputStream().readAllBytes();
      }
      throw new IOException("refused, as it should be");
    } else if (dice < 10) {
      try (Socket stall = connectRaw()) {
        stall.setSoTimeout(10_000);
        stall.getInputStream().readAllBytes();
      }
      throw new IOException("cut at the handshake deadline, as it should be");
    } else {
      try (VerifiedConnection c = connect(legit)) {
        c.ping();
      }
    }
  }

  private VerifiedConnection connect(Credential credential) throws IOException {
    return new Connector(
            credential.identity(),
            HostKeyTrust.of(credential),
            Duration.ofSeconds(30),
            RandomSource.secure())
        .connect(new ServerAddress("127.0.0.1", server.port()));
  }

  private Sample settled() throws IOException {
    await().atMost(Duration.ofSeconds(60)).until(() -> server.server().verifiedSessions() == 0);
    return sample();
  }

  private static Sample max(Sample a, Sample b) {
    return new Sample(
        Math.max(a.sockets(), b.sockets()),
        Math.max(a.threads(), b.threads()),
        Math.max(a.heapMb(), b.heapMb()),
        Math.max(a.auditKb(), b.auditKb()),
        Math.max(a.sessions(), b.sessions()));
  }

  /**
   * Live platform threads other than the JDK's fork-join workers: the virtual-thread scheduler adds
   * carriers (up to 256) while virtual threads block in the file system and retires them after a
   * minute idle, so counting them would measure the JDK's scheduling, not a leak of ours.
   */
  private static long ownPlatformThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> !t.getName().startsWith("ForkJoinPool"))
        .count();
  }

  private Sample sample() throws IOException {
    System.gc();
    long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() >> 20;
    long sockets = OpenSockets.count();
    return new Sample(
        sockets,
        ownPlatformThreads(),
        heap,
        Files.size(server.auditFile()) >> 10,
        server.server().verifiedSessions());
  }
}
