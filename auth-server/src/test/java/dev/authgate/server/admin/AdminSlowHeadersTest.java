package dev.authgate.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.authgate.protocol.keyfile.KeyFiles;
import dev.authgate.server.AuthgateServer;
import dev.authgate.server.audit.AuditRotation;
import dev.authgate.server.connection.ServerConfig;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slowloris against the admin port: more connections than its cap, each trickling a header line
 * every two seconds (never silent long enough for the idle timeout). Each is closed at its
 * first-request deadline, so a legitimate request gets through while they keep trickling.
 */
@Tag("system")
class AdminSlowHeadersTest {
  @TempDir Path dir;

  @Test
  void connectionsThatTrickleTheirHeadersAreClosedAtTheFirstRequestDeadline() throws Exception {
    KeyFiles.ensurePrivateDirectory(dir.resolve("keys"));
    try (AuthgateServer server =
        AuthgateServer.builder(
                ServerConfig.loopback(0, dir.resolve("uploads")), dir.resolve("keys"))
            .environment(java.util.Map.of())
            .auditLog(dir.resolve("audit.jsonl"), AuditRotation.never())
            .admin(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .start()) {
      int port = server.adminAddress().getPort();
      AtomicBoolean trickle = new AtomicBoolean(true);
      List<Socket> sockets = new ArrayList<>();
      List<Thread> tricklers = new ArrayList<>();
      try {
        for (int i = 0; i < AdminServer.MAX_CONNECTIONS + 8; i++) {
          Socket socket = new Socket();
          socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
          sockets.add(socket);
          tricklers.add(
              Thread.ofVirtual()
                  .start(
                      () -> {
                        try {
                          OutputStream out = socket.getOutputStream();
                          out.write(
                              "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                  .getBytes(StandardCharsets.US_ASCII));
                          long end = System.nanoTime() + Duration.ofSeconds(90).toNanos();
                          while (trickle.get() && System.nanoTime() < end) {
                            out.write("X-Slow: 1\r\n".getBytes(StandardCharsets.US_ASCII));
                            out.flush();
                            Thread.sleep(2000);
                          }
                        } catch (Exception closed) {
                          // the server closed it: the point
                        }
                      }));
        }
        long start = System.nanoTime();
        HttpResponse<String> health =
            HttpClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz"))
                        .timeout(Duration.ofSeconds(45))
                        .build(),
                    HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(45));
      } finally {
        trickle.set(false);
        for (Socket socket : sockets) {
          socket.close();
        }
        for (Thread t : tricklers) {
          t.interrupt();
        }
      }
    }
  }
}
