package dev.authgate.bench;

import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.keyfile.KeyFiles;
import dev.authgate.server.AuthgateServer;
import dev.authgate.server.audit.AuditRotation;
import dev.authgate.server.connection.ServerConfig;
import dev.authgate.server.keystore.HostKeys;
import dev.authgate.server.keystore.KeystoreDirectory;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A real authgate server with one provisioned client, plus two raw TCP baselines on loopback: an
 * echo server (one byte back, then close) and a sink that writes what it receives to a file, forces
 * it and answers one byte. Closed after the benchmark.
 */
final class BenchServers implements AutoCloseable {
  final Path root;
  final Credential credential;
  final AuthgateServer server;
  final ServerSocket echo;
  final ServerSocket sink;

  BenchServers() throws IOException {
    root = Files.createTempDirectory("authgate-bench");
    Path keys = root.resolve("keys");
    KeyFiles.ensurePrivateDirectory(keys);
    // The host key first, so the credential pins it (as keys add does on a real server).
    new HostKeys(keys, java.util.Map.of(), Clock.systemUTC(), RandomSource.secure()).loadOrCreate();
    credential =
        new KeystoreDirectory(keys, Clock.systemUTC(), RandomSource.secure()).add("bench-1");
    KeyFiles.writePrivate(root.resolve("bench.credential"), credential.format(), false);
    // Built as serve builds its server: metrics and the connection log count in every number.
    server =
        AuthgateServer.builder(ServerConfig.loopback(0, root.resolve("uploads")), keys)
            .environment(java.util.Map.of())
            .auditLog(root.resolve("audit.jsonl"), AuditRotation.never())
            .start();
    echo = listen(BenchServers::echoOnce);
    sink = listen(this::sinkToFile);
  }

  private interface Handler {
    void handle(Socket socket) throws IOException;
  }

  private static ServerSocket listen(Handler handler) throws IOException {
    ServerSocket listener = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
    Thread.ofPlatform()
        .daemon(true)
        .start(
            () -> {
              while (!listener.isClosed()) {
                try {
                  Socket socket = listener.accept();
                  Thread.ofVirtual()
                      .start(
                          () -> {
                            try (socket) {
                              socket.setTcpNoDelay(true);
                              handler.handle(socket);
                            } catch (IOException ignored) {
                              // A benchmark client went away; the next one is unaffected.
                            }
                          });
                } catch (IOException e) {
                  return;
                }
              }
            });
    return listener;
  }

  private static void echoOnce(Socket socket) throws IOException {
    int b = socket.getInputStream().read();
    socket.getOutputStream().write(b);
  }

  private void sinkToFile(Socket socket) throws IOException {
    Path file = root.resolve("sink.bin");
    try (FileChannel out =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      InputStream in = socket.getInputStream();
      byte[] buffer = new byte[256 * 1024];
      for (int n; (n = in.read(buffer)) > 0; ) {
        out.write(java.nio.ByteBuffer.wrap(buffer, 0, n));
      }
      out.force(true);
    }
    socket.getOutputStream().write(1);
  }

  @Override
  public void close() throws IOException {
    server.close();
    echo.close();
    sink.close();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
