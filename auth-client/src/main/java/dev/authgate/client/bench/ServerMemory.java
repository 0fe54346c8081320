package dev.authgate.client.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;

/**
 * What a server's metrics say about its memory at one moment: resident set, heap in use, heap in
 * use after its most recent collection, how many collections have run, and how many verified
 * sessions it holds.
 *
 * @param residentBytes {@code process_resident_memory_bytes}
 * @param heapUsedBytes {@code jvm_memory_used_bytes{area="heap"}}
 * @param heapAfterGcBytes the sum of {@code jvm_memory_pool_collection_used_bytes} (only heap pools
 *     have one)
 * @param collections the sum of {@code jvm_gc_collection_seconds_count}
 * @param sessions {@code authgate_sessions}
 */
record ServerMemory(
    double residentBytes,
    double heapUsedBytes,
    double heapAfterGcBytes,
    double collections,
    double sessions) {

  /** Reads the Prometheus text format of a metrics URL. */
  static final class Reader {
    private final URI uri;
    private final HttpClient http =
        HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    Reader(URI uri) {
      this.uri = uri;
    }

    ServerMemory read() throws IOException, InterruptedException {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build(),
              HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IOException("metrics at " + uri + " answered HTTP " + response.statusCode());
      }
      ServerMemory memory = parse(response.body());
      if (Double.isNaN(memory.residentBytes()) || Double.isNaN(memory.sessions())) {
        throw new IOException(
            "no authgate_sessions or process_resident_memory_bytes at "
                + uri
                + ": is it an authgate server's --metrics address?");
      }
      return memory;
    }
  }

  /** Parses the Prometheus text exposition format; a metric not there is NaN. */
  static ServerMemory parse(String text) {
    double resident = Double.NaN;
    double heapUsed = Double.NaN;
    double afterGc = 0;
    double collections = 0;
    double sessions = Double.NaN;
    for (String line : text.split("\n")) {
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int end = line.indexOf('{');
      int space = line.lastIndexOf(' ');
      if (space < 0) {
        continue;
      }
      String name = line.substring(0, end >= 0 && end < space ? end : line.indexOf(' '));
      double value;
      try {
        value = Double.parseDouble(line.substring(space + 1).trim());
      } catch (NumberFormatException e) {
        continue;
      }
      switch (name) {
        case "process_resident_memory_bytes" -> resident = value;
        case "jvm_memory_used_bytes" -> {
          if (line.contains("area=\"heap\"")) {
            heapUsed = value;
          }
        }
        case "jvm_memory_pool_collection_used_bytes" -> afterGc += value;
        case "jvm_gc_collection_seconds_count" -> collections += value;
        case "authgate_sessions" -> sessions = value;
        default -> {
          // Not about memory.
        }
      }
    }
    return new ServerMemory(resident, heapUsed, afterGc, collections, sessions);
  }

  /**
   * The growth from {@code before} (no sessions held) to {@code after} (all held), per session.
   *
   * @param collected whether the server ran a collection while every session was held, so that its
   *     heap-after-collection figure counts them
   */
  record PerSession(
      int sessions,
      double serverSessions,
      double residentBytes,
      double heapAfterGcBytes,
      double heapUsedBytes,
      boolean collected) {

    String json() {
      return String.format(
          Locale.ROOT,
          ",\"server_sessions\":%.0f,\"server_rss_bytes_per_session\":%.0f,"
              + "\"server_heap_used_bytes_per_session\":%.0f,"
              + "\"server_heap_after_gc_bytes_per_session\":%s",
          serverSessions,
          residentBytes,
          heapUsedBytes,
          collected ? String.format(Locale.ROOT, "%.0f", heapAfterGcBytes) : "null");
    }

    String sentence() {
      return String.format(
              Locale.ROOT,
              "server (%.0f sessions by its metrics): resident memory %+.1f KiB per session, heap"
                  + " in use %+.1f KiB per session, ",
              serverSessions,
              residentBytes / 1024,
              heapUsedBytes / 1024)
          + (collected
              ? String.format(
                  Locale.ROOT,
                  "heap after its last collection %+.1f KiB per session",
                  heapAfterGcBytes / 1024)
              : "heap after collection not measured (no collection ran while all were held; "
                  + "run jcmd PID GC.run during --hold)");
    }
  }

  static PerSession perSession(
      ServerMemory before, ServerMemory open, ServerMemory after, int sessions) {
    int n = Math.max(1, sessions);
    return new PerSession(
        sessions,
        after.sessions(),
        (after.residentBytes() - before.residentBytes()) / n,
        (after.heapAfterGcBytes() - before.heapAfterGcBytes()) / n,
        (after.heapUsedBytes() - before.heapUsedBytes()) / n,
        after.collections() > open.collections());
  }
}
