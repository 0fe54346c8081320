package dev.authgate.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.authgate.server.audit.AuditLog;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The metrics port as a scraper and a hostile peer on the network meet it. */
@Tag("system")
class MetricsEndpointTest {
  @Test
  void fiftyHalfOpenConnectionsDoNotStopAScrape() throws Exception {
    ServerMetrics metrics = new ServerMetrics(AuditLog.discard(), () -> 0, () -> 0, () -> 0);
    try (ServerMetrics.Served served =
        metrics.serve(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
      List<Socket> halfOpen = new ArrayList<>();
      try {
        for (int i = 0; i < 50; i++) {
          Socket socket = new Socket(InetAddress.getLoopbackAddress(), served.port());
          OutputStream out = socket.getOutputStream();
          // Half a request: the request line and one header, never the blank line that ends it.
          out.write("GET /metrics HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
          out.flush();
          halfOpen.add(socket);
        }

        HttpResponse<String> scrape =
            HttpClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + served.port() + "/metrics"))
                        .timeout(Duration.ofSeconds(30))
                        .build(),
                    HttpResponse.BodyHandlers.ofString());

        assertThat(scrape.statusCode()).isEqualTo(200);
        assertThat(scrape.body()).contains("authgate_sessions");
      } finally {
        for (Socket socket : halfOpen) {
          socket.close();
        }
      }
    }
  }
}
