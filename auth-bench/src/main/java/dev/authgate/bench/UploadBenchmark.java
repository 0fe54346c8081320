package dev.authgate.bench;

import dev.authgate.client.connect.Connector;
import dev.authgate.client.connect.HostKeyTrust;
import dev.authgate.client.connect.ServerAddress;
import dev.authgate.client.connect.VerifiedConnection;
import dev.authgate.client.upload.UploadListener;
import dev.authgate.client.upload.UploadOutcome;
import dev.authgate.client.upload.Uploader;
import dev.authgate.protocol.crypto.RandomSource;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Time to upload one file over a verified connection (read, hash, seal, send; receive, open, hash,
 * write, force, rename) against a raw socket copy of the same file to a server that writes it to
 * disk and forces it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class UploadBenchmark {
  @Param({"67108864"})
  long fileBytes;

  private BenchServers servers;
  private VerifiedConnection connection;
  private Uploader uploader;
  private Path file;

  /** Starts the servers, writes the file, opens one verified connection for all uploads. */
  @Setup
  public void setUp() throws IOException {
    servers = new BenchServers();
    file = servers.root.resolve("payload.bin");
    RandomSource random = RandomSource.secure();
    try (OutputStream out = Files.newOutputStream(file)) {
      for (long left = fileBytes; left > 0; left -= 1 << 20) {
        out.write(random.bytes((int) Math.min(1 << 20, left)));
      }
    }
    connection =
        new Connector(
                servers.credential.identity(),
                HostKeyTrust.of(servers.credential),
                Duration.ofSeconds(60),
                RandomSource.secure())
            .connect(new ServerAddress("127.0.0.1", servers.server.address().getPort()));
    uploader = new Uploader(connection, UploadListener.silent());
  }

  /** Closes everything. */
  @TearDown
  public void tearDown() throws IOException {
    connection.close();
    servers.close();
  }

  /** One verified upload, replacing the previous copy. */
  @Benchmark
  public UploadOutcome verifiedUpload() throws IOException {
    UploadOutcome outcome = uploader.upload(file, "payload.bin", true, false);
    if (!outcome.stored()) {
      throw new IOException("upload refused: " + outcome.describe());
    }
    return outcome;
  }

  /** Baseline: the same bytes over a plain socket, written and forced by the receiver. */
  @Benchmark
  public int baselineRawSocketCopy() throws IOException {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), servers.sink.getLocalPort());
        InputStream in = Files.newInputStream(file)) {
      socket.setTcpNoDelay(true);
      OutputStream out = socket.getOutputStream();
      byte[] buffer = new byte[256 * 1024];
      for (int n; (n = in.read(buffer)) > 0; ) {
        out.write(buffer, 0, n);
      }
      socket.shutdownOutput();
      return socket.getInputStream().read();
    }
  }
}
