package dev.authgate.server.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A real HAProxy (Debian's package) in TCP mode on a loopback port, balancing round robin over the
 * given servers with {@code send-proxy-v2} and TCP health checks, as docs/OPERATIONS.md tells
 * operators to run it. Tests that need one are skipped, saying why, when it is not installed.
 */
public final class HaproxyProcess implements AutoCloseable {
  private static final Duration STARTUP = Duration.ofSeconds(20);

  private final Process process;
  private final int port;

  private HaproxyProcess(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /** Where Debian installs haproxy, or null. */
  public static Path binary() {
    for (String candidate : List.of("/usr/sbin/haproxy", "/usr/local/sbin/haproxy")) {
      Path path = Path.of(candidate);
      if (Files.isExecutable(path)) {
        return path;
      }
    }
    return null;
  }

  /** Starts one in front of {@code serverPorts} on 127.0.0.1, or skips the calling test. */
  public static HaproxyProcess start(Path dir, List<Integer> serverPorts) throws IOException {
    Path binary = binary();
    assumeTrue(
        binary != null,
        "haproxy is not installed (apt-get install haproxy; .ci/run does this when it can):"
            + " skipping a test through a load balancer");
    Files.createDirectories(dir);
    int port = Ports.belowTheEphemeralRange();
    int ready = Ports.belowTheEphemeralRange();
    StringBuilder config =
        new StringBuilder(
            """
            global
              maxconn 512
            defaults
              mode tcp
              timeout connect 2s
              timeout client 5m
              timeout server 5m
            frontend ready
              bind 127.0.0.1:%d
              tcp-request connection reject
            frontend authgate
              bind 127.0.0.1:%d
              default_backend authgate_servers
            backend authgate_servers
              balance roundrobin
            """
                .formatted(ready, port));
    for (int i = 0; i < serverPorts.size(); i++) {
      config
          .append("  server s")
          .append(i)
          .append(" 127.0.0.1:")
          .append(serverPorts.get(i))
          .append(" send-proxy-v2 check inter 500ms\n");
    }
    Path file = dir.resolve("haproxy.cfg");
    Files.writeString(file, config);
    Process process =
        new ProcessBuilder(binary.toString(), "-f", file.toString(), "-db")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("haproxy.out").toFile())
            .start();
    HaproxyProcess haproxy = new HaproxyProcess(process, port);
    long end = System.nanoTime() + STARTUP.toNanos();
    while (System.nanoTime() < end) {
      if (!process.isAlive()) {
        throw new IOException(
            "haproxy exited with "
                + process.exitValue()
                + ": "
                + Files.readString(dir.resolve("haproxy.out")));
      }
      try (Socket probe = new Socket()) {
        // A frontend of its own that only says HAProxy is up: a probe through the real one would
        // reach a server and be audited there.
        probe.connect(new InetSocketAddress("127.0.0.1", ready), 500);
        return haproxy;
      } catch (IOException notYet) {
        ChildProcesses.sleep(50);
      }
    }
    haproxy.close();
    throw new IOException("haproxy did not listen on " + port + " within " + STARTUP);
  }

  /** The port clients connect to. */
  public int port() {
    return port;
  }

  @Override
  public void close() {
    ChildProcesses.stop(process);
  }
}
