package dev.authgate.bench;

import dev.authgate.client.connect.Connector;
import dev.authgate.client.connect.HostKeyTrust;
import dev.authgate.client.connect.ServerAddress;
import dev.authgate.client.connect.VerifiedConnection;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.frame.FrameCodec;
import dev.authgate.protocol.handshake.ClientHandshake;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.keyfile.KeyFiles;
import dev.authgate.protocol.session.SecureChannel;
import dev.authgate.protocol.session.SessionMessage;
import dev.authgate.server.keystore.HostKeys;
import dev.authgate.server.keystore.KeystoreDirectory;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Measures a real {@code serve} process (Linux, loopback) before and while 500 verified clients
 * flood PINGs without reading and 200 slowloris handshakes stall from another source: its threads,
 * descriptors and RSS, a legitimate client's handshake latency, how long revoking another client
 * takes, and how long SIGTERM takes. Bounded: every attacker stops by itself. Run with {@code
 * bin/stall-measurement}; the numbers go to docs/PERFORMANCE.md.
 */
public final class StallMeasurement {
  private static final int STALLED_READERS = 500;
  private static final int SLOWLORIS = 200;
  private static final int SAMPLES = 300;

  private StallMeasurement() {}

  /** Runs the measurement and prints a report. */
  public static void main(String[] args) throws Exception {
    Path root = Files.createTempDirectory("authgate-stall");
    KeystoreDirectory keys =
        new KeystoreDirectory(root.resolve("keys"), Clock.systemUTC(), RandomSource.secure());
    KeyFiles.ensurePrivateDirectory(keys.path());
    new HostKeys(keys.path(), java.util.Map.of(), Clock.systemUTC(), RandomSource.secure())
        .loadOrCreate(); // before the credentials, which pin it
    Credential legit = keys.add("legit");
    Credential stuck = keys.add("stuck");
    Credential other = keys.add("other");
    Process server = startServer(root);
    ServerAddress address = ServerAddress.parse(readListening(server));
    long pid = server.pid();
    report("idle server", pid, handshakes(legit, address));

    List<Socket> sockets = new ArrayList<>();
    AtomicLong pings = new AtomicLong();
    for (int i = 0; i < STALLED_READERS; i++) {
      sockets.add(stalledReader(stuck, address, pings));
    }
    awaitStalled(pings);
    report(STALLED_READERS + " stalled readers", pid, handshakes(legit, address));

    int refused = 0;
    for (int i = 0; i < SLOWLORIS; i++) {
      Socket socket = new Socket();
      socket.bind(new InetSocketAddress("127.0.0.2", 0));
      socket.connect(new InetSocketAddress(address.host(), address.port()), 5000);
      socket.getOutputStream().write(new byte[] {0x02, 0x00});
      socket.setSoTimeout(5000);
      refused += FrameCodec.read(socket.getInputStream(), 4096).payload().length == 1 ? 1 : 0;
      sockets.add(socket);
    }
    System.out.printf("slowloris: %d of %d refused at accept%n", refused, SLOWLORIS);
    report("+ " + SLOWLORIS + " slowloris", pid, handshakes(legit, address));

    try (VerifiedConnection otherSession = connector(other).connect(address)) {
      long start = System.nanoTime();
      keys.revoke("other");
      SessionMessage heard = otherSession.channel().receive();
      System.out.printf(
          "revoking another client with every stalled reader connected: its session heard %s"
              + " after %d ms%n",
          heard, (System.nanoTime() - start) / 1_000_000);
    }

    long start = System.nanoTime();
    server.destroy();
    server.waitFor();
    System.out.printf(
        "SIGTERM (--shutdown-grace 1s) to exit: %d ms, exit %d%n",
        (System.nanoTime() - start) / 1_000_000, server.exitValue());
    for (Socket socket : sockets) {
      socket.close();
    }
  }

  private static Process startServer(Path root) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    String classpath = System.getProperty("java.class.path");
    return new ProcessBuilder(
            java,
            "-cp",
            classpath,
            "dev.authgate.server.cli.AuthServerMain",
            "serve",
            "--port",
            "0",
            "--keys",
            root.resolve("keys").toString(),
            "--uploads",
            root.resolve("uploads").toString(),
            "--audit-log",
            root.resolve("audit.jsonl").toString(),
            "--max-sessions",
            "5000",
            "--max-sessions-per-client",
            "5000",
            "--write-timeout",
            "5m",
            "--handshake-timeout",
            "5m",
            "--shutdown-grace",
            "1s")
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
  }

  private static String readListening(Process server) throws IOException {
    String line =
        new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8))
            .readLine();
    if (line == null || !line.startsWith("listening on ")) {
      throw new IOException("the server did not start: " + line);
    }
    return line.substring("listening on ".length());
  }

  /** A verified client with a 4 KiB receive buffer that floods PINGs and never reads. */
  private static Socket stalledReader(
      Credential credential, ServerAddress address, AtomicLong pings) throws IOException {
    Socket socket = new Socket();
    socket.setReceiveBufferSize(4096);
    socket.connect(new InetSocketAddress(address.host(), address.port()), 5000);
    socket.setTcpNoDelay(true);
    socket.setSoTimeout(10_000);
    ClientHandshake handshake =
        new ClientHandshake(
            credential.identity(), HostKeyTrust.of(credential), RandomSource.secure());
    socket
        .getOutputStream()
        .write(handshake.onHello(FrameCodec.read(socket.getInputStream(), 4096)));
    var established = handshake.onWelcome(FrameCodec.read(socket.getInputStream(), 4096));
    SecureChannel channel =
        SecureChannel.client(socket.getInputStream(), socket.getOutputStream(), established.keys());
    Thread.ofVirtual()
        .start(
            () -> {
              try {
                for (long i = 0; i < 200_000; i++) {
                  channel.send(new SessionMessage.Ping(i));
                  pings.incrementAndGet();
                }
              } catch (IOException e) {
                // Cut off: the end of the measurement.
              }
            });
    return socket;
  }

  private static void awaitStalled(AtomicLong pings) throws InterruptedException {
    long last = -1;
    while (true) {
      Thread.sleep(1000);
      long now = pings.get();
      if (now == last) {
        System.out.printf("stalled readers stuck after %d pings in all%n", now);
        return;
      }
      last = now;
    }
  }

  private static Connector connector(Credential credential) {
    return new Connector(
        credential.identity(),
        HostKeyTrust.of(credential),
        Duration.ofSeconds(10),
        RandomSource.secure());
  }

  private static long[] handshakes(Credential credential, ServerAddress address)
      throws IOException {
    Connector connector = connector(credential);
    long[] nanos = new long[SAMPLES];
    for (int i = 0; i < SAMPLES; i++) {
      long start = System.nanoTime();
      VerifiedConnection connection = connector.connect(address);
      nanos[i] = System.nanoTime() - start;
      connection.close();
    }
    Arrays.sort(nanos);
    return nanos;
  }

  private static void report(String phase, long pid, long[] sorted) throws IOException {
    Path proc = Path.of("/proc/" + pid);
    long threads = 0;
    long rssKb = 0;
    for (String line : Files.readAllLines(proc.resolve("status"))) {
      if (line.startsWith("Threads:")) {
        threads = Long.parseLong(line.split("\\s+")[1]);
      } else if (line.startsWith("VmRSS:")) {
        rssKb = Long.parseLong(line.split("\\s+")[1]);
      }
    }
    long fds;
    try (var list = Files.list(proc.resolve("fd"))) {
      fds = list.count();
    }
    System.out.printf(
        Locale.ROOT,
        "%-28s threads %4d  fds %5d  rss %6.1f MiB  legit handshake p50 %.2f ms p99 %.2f ms"
            + " max %.2f ms%n",
        phase,
        threads,
        fds,
        rssKb / 1024.0,
        sorted[sorted.length / 2] / 1e6,
        sorted[(int) (sorted.length * 0.99)] / 1e6,
        sorted[sorted.length - 1] / 1e6);
  }
}
