package dev.authgate.server.admin;

import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Blocker;
import org.eclipse.jetty.util.Callback;

/**
 * {@code GET /api/audit/stream}: new audit lines as Server-Sent Events, filtered as {@code
 * /api/audit} filters ({@code event}, {@code client}, {@code source}). Each line is one {@code
 * data:} message (the line as the log has it: values a peer chose are escaped there); a comment
 * every {@link #HEARTBEAT} keeps proxies from closing a quiet stream, and a stream that fell behind
 * hears {@code event: lost} with how many lines it missed. A write the browser stalls fails after
 * the connection's idle timeout, which ends the stream. At most {@link AdminFeed#MAX_STREAMS}
 * streams are open at once (429 past that).
 */
final class AuditStreamer {
  static final Duration HEARTBEAT = Duration.ofSeconds(5);

  private final AdminFeed feed;
  private volatile boolean stopping;

  AuditStreamer(AdminFeed feed) {
    this.feed = feed;
  }

  void stopping() {
    stopping = true;
  }

  void stream(
      Request request,
      Response response,
      Callback callback,
      Map<String, List<String>> query,
      AdminHandler.Caller caller,
      java.util.function.BooleanSupplier allowed) {
    Set<String> events = new HashSet<>();
    for (String names : query.getOrDefault("event", List.of())) {
      events.addAll(AdminFeed.names(names));
    }
    String client = one(query, "client");
    String source = one(query, "source");
    AdminFeed.Stream stream =
        feed.open(new AdminFeed.AuditFilter(events, client, source), caller.token().tokenId());
    if (stream == null) {
      throw new ApiException(429, "too-many-streams", "too many live tails are open; close one", 5);
    }
    response.setStatus(200);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream; charset=utf-8");
    try (stream) {
      send(response, "retry: 5000\n\n");
      // Each round checks the caller again: a revoked token or an ended console session ends its
      // tails within a heartbeat.
      while (!stopping && allowed.getAsBoolean()) {
        String line = stream.poll(HEARTBEAT);
        long lost = stream.takeLost();
        if (lost > 0) {
          send(response, "event: lost\ndata: {\"lost\":" + lost + "}\n\n");
        }
        send(response, line == null ? ": still here\n\n" : "data: " + line + "\n\n");
      }
      callback.succeeded();
    } catch (IOException e) {
      callback.failed(e); // the browser went away, or stalled past the idle timeout
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      callback.failed(e);
    }
  }

  private static void send(Response response, String text) throws IOException {
    try (Blocker.Callback written = Blocker.callback()) {
      Content.Sink.write(response, false, text, written);
      written.block();
    }
  }

  private static String one(Map<String, List<String>> query, String name) {
    List<String> values = query.getOrDefault(name, List.of());
    if (values.size() > 1) {
      throw new ApiException(400, "bad-request", "give " + name + " once");
    }
    return values.isEmpty() || values.get(0).isEmpty() ? null : values.get(0);
  }
}
