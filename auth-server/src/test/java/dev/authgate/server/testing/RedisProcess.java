package dev.authgate.server.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.authgate.server.cluster.RedisTarget;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} (Debian's package) on a loopback port below the ephemeral range, with
 * no persistence, for tests of servers sharing state. Tests that need one are skipped, saying why,
 * when the package is not installed ({@code .ci/run} installs it when it can). It can be killed and
 * started again on the same port, as an outage would.
 */
public final class RedisProcess implements AutoCloseable {
  private static final Duration STARTUP = Duration.ofSeconds(20);

  private final Path binary;
  private final Path dir;
  private final int port;
  private Process process;

  private RedisProcess(Path binary, Path dir, int port) {
    this.binary = binary;
    this.dir = dir;
    this.port = port;
  }

  /** Where Debian installs redis-server, or null. */
  public static Path binary() {
    for (String candidate : List.of("/usr/bin/redis-server", "/usr/local/bin/redis-server")) {
      Path path = Path.of(candidate);
      if (Files.isExecutable(path)) {
        return path;
      }
    }
    return null;
  }

  /** Starts one in {@code dir}, or skips the calling test if redis-server is not installed. */
  public static RedisProcess start(Path dir) throws IOException {
    Path binary = binary();
    assumeTrue(
        binary != null,
        "redis-server is not installed (apt-get install redis-server; .ci/run does this when it"
            + " can): skipping a test of servers sharing state through Redis");
    Files.createDirectories(dir);
    RedisProcess redis = new RedisProcess(binary, dir, Ports.belowTheEphemeralRange());
    redis.startAgain();
    return redis;
  }

  /**
   * One that is not running yet, with its port chosen: a server can be pointed at it first. Skips
   * the calling test if redis-server is not installed.
   */
  public static RedisProcess notStarted(Path dir) throws IOException {
    RedisProcess redis = start(dir);
    redis.kill();
    return redis;
  }

  /** Starts it (again) on its port, and waits until it answers PING. */
  public void startAgain() throws IOException {
    process =
        new ProcessBuilder(
                binary.toString(),
                "--port",
                Integer.toString(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                dir.toString(),
                "--logfile",
                dir.resolve("redis.log").toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("redis.out").toFile())
            .start();
    long end = System.nanoTime() + STARTUP.toNanos();
    while (System.nanoTime() < end) {
      if (answers()) {
        return;
      }
      if (!process.isAlive()) {
        throw new IOException(
            "redis-server exited with "
                + process.exitValue()
                + ": "
                + Files.readString(dir.resolve("redis.out")));
      }
      ChildProcesses.sleep(50);
    }
    throw new IOException("redis-server did not answer on port " + port + " within " + STARTUP);
  }

  private boolean answers() {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
      socket.setSoTimeout(1000);
      OutputStream out = socket.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      byte[] reply = in.readNBytes(7);
      return new String(reply, StandardCharsets.US_ASCII).startsWith("+PONG");
    } catch (IOException e) {
      return false;
    }
  }

  /** Kills it at once (SIGKILL), as a crash would, and waits until it is gone. */
  public void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The URL servers are given. */
  public RedisTarget target() {
    return RedisTarget.parse(url());
  }

  /** {@code redis://127.0.0.1:PORT/0}. */
  public String url() {
    return "redis://127.0.0.1:" + port + "/0";
  }

  /** Its port. */
  public int port() {
    return port;
  }

  @Override
  public void close() {
    if (process != null) {
      ChildProcesses.stop(process);
    }
  }
}
