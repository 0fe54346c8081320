package dev.authgate.client.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Reading a server's memory from its Prometheus metrics, for {@code bench sessions}. */
class ServerMemoryTest {
  private static final String SCRAPE =
      """
      # HELP authgate_sessions Verified sessions open now
      # TYPE authgate_sessions gauge
      authgate_sessions 1000.0
      process_resident_memory_bytes 2.147483648E8
      jvm_memory_used_bytes{area="heap"} 5.0E7
      jvm_memory_used_bytes{area="nonheap"} 9.0E7
      jvm_memory_pool_collection_used_bytes{pool="G1 Eden Space"} 0.0
      jvm_memory_pool_collection_used_bytes{pool="G1 Old Gen"} 3.0E7
      jvm_memory_pool_collection_used_bytes{pool="G1 Survivor Space"} 1000000.0
      jvm_gc_collection_seconds_count{gc="G1 Young Generation"} 7
      jvm_gc_collection_seconds_count{gc="G1 Concurrent GC"} 2
      jvm_gc_collection_seconds_sum{gc="G1 Young Generation"} 0.1
      """;

  @Test
  void readsResidentMemoryHeapAndCollectionsFromAScrape() {
    ServerMemory memory = ServerMemory.parse(SCRAPE);
    assertThat(memory.sessions()).isEqualTo(1000);
    assertThat(memory.residentBytes()).isEqualTo(214_748_364.8);
    assertThat(memory.heapUsedBytes()).as("heap only, not non-heap").isEqualTo(5.0e7);
    assertThat(memory.heapAfterGcBytes()).as("summed over the heap pools").isEqualTo(3.1e7);
    assertThat(memory.collections()).isEqualTo(9);
  }

  @Test
  void growthIsPerSessionAndHeapAfterCollectionCountsOnlyIfOneRanWhileAllWereHeld() {
    ServerMemory before = new ServerMemory(100e6, 20e6, 10e6, 3, 0);
    ServerMemory open = new ServerMemory(150e6, 60e6, 30e6, 5, 1000);
    ServerMemory after = new ServerMemory(160e6, 40e6, 18e6, 6, 1000);

    ServerMemory.PerSession growth = ServerMemory.perSession(before, open, after, 1000);
    assertThat(growth.residentBytes()).isEqualTo(60_000);
    assertThat(growth.heapAfterGcBytes()).isEqualTo(8_000);
    assertThat(growth.collected()).isTrue();
    assertThat(growth.sentence()).contains("heap after its last collection +7.8 KiB per session");

    ServerMemory.PerSession noCollection = ServerMemory.perSession(before, open, open, 1000);
    assertThat(noCollection.collected()).isFalse();
    assertThat(noCollection.sentence()).contains("heap after collection not measured");
    assertThat(noCollection.json()).contains("\"server_heap_after_gc_bytes_per_session\":null");
  }

  @Test
  void anAddressThatIsNotAnAuthgateServersMetricsIsNamedInTheError() throws Exception {
    HttpServer http =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    http.createContext(
        "/",
        exchange -> {
          byte[] body = "hello\n".getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(
              exchange.getRequestURI().getPath().equals("/metrics") ? 200 : 404, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    http.start();
    try {
      String base = "http://127.0.0.1:" + http.getAddress().getPort();
      assertThatThrownBy(() -> new ServerMemory.Reader(URI.create(base + "/metrics")).read())
          .isInstanceOf(IOException.class)
          .hasMessageContaining("is it an authgate server's --metrics address?");
      assertThatThrownBy(() -> new ServerMemory.Reader(URI.create(base + "/other")).read())
          .isInstanceOf(IOException.class)
          .hasMessageContaining("answered HTTP 404");
    } finally {
      http.stop(0);
    }
  }
}
