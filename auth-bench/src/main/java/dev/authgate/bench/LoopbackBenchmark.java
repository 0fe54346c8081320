package dev.authgate.bench;

import dev.authgate.client.connect.Connector;
import dev.authgate.client.connect.HostKeyTrust;
import dev.authgate.client.connect.ServerAddress;
import dev.authgate.client.connect.VerifiedConnection;
import dev.authgate.protocol.crypto.RandomSource;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Verified connections per second on loopback — connect, handshake, one sealed ping, CLOSE —
 * against a raw TCP connect, one-byte echo and close to a server in the same process.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class LoopbackBenchmark {
  private BenchServers servers;
  private Connector connector;
  private ServerAddress address;

  /** Starts the servers. */
  @Setup
  public void setUp() throws IOException {
    servers = new BenchServers();
    connector =
        new Connector(
            servers.credential.identity(),
            HostKeyTrust.of(servers.credential),
            Duration.ofSeconds(10),
            RandomSource.secure());
    address = new ServerAddress("127.0.0.1", servers.server.address().getPort());
  }

  /** Stops them. */
  @TearDown
  public void tearDown() throws IOException {
    servers.close();
  }

  /** A verified connection: handshake both ways, one sealed ping, close. */
  @Benchmark
  public Duration verifiedConnectPingClose() throws IOException {
    try (VerifiedConnection connection = connector.connect(address)) {
      return connection.ping();
    }
  }

  /** Baseline: TCP connect, one byte there and back, close. */
  @Benchmark
  public int baselineRawConnectEchoClose() throws IOException {
    try (Socket socket =
        new Socket(InetAddress.getLoopbackAddress(), servers.echo.getLocalPort())) {
      socket.setTcpNoDelay(true);
      socket.getOutputStream().write(7);
      return socket.getInputStream().read();
    }
  }
}
