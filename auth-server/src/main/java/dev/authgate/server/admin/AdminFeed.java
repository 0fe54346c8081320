package dev.authgate.server.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.audit.AuditLog;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The audit chain's link that feeds the admin API and console: when each client was last verified
 * here ({@code last_seen}), accepted and refused connections per minute over the last hour with the
 * top refusal reasons and sources (the console's overview), and the live tail ({@code GET
 * /api/audit/stream}). Everything it holds is bounded: one entry per client that proved a key,
 * sixty minutes of counts with at most {@link #MAX_KEYS_PER_MINUTE} sources and reasons each, and
 * {@link #MAX_STREAMS} streams of at most {@link #STREAM_QUEUE} lines each (a stream that falls
 * behind loses lines and is told how many). Thread-safe; recording never waits for a reader.
 */
public final class AdminFeed implements AuditLog {
  /** The most clients remembered for {@code last_seen}. */
  static final int MAX_CLIENTS = 1_000_000;

  /** Distinct sources (and reasons) counted per minute; the rest count as {@code other}. */
  static final int MAX_KEYS_PER_MINUTE = 500;

  /** Live tails open at once, and per admin token. */
  static final int MAX_STREAMS = 32;

  static final int MAX_STREAMS_PER_TOKEN = 4;

  /** Lines a live tail may fall behind by before it loses some. */
  static final int STREAM_QUEUE = 1000;

  private final AuditLog next;
  private final Clock clock;
  private final Map<String, Instant> seen = new ConcurrentHashMap<>();
  private final Minute[] minutes = new Minute[60];
  private final Set<Stream> streams = new CopyOnWriteArraySet<>();

  /** Records to {@code next}, then feeds the API from the event. */
  public AdminFeed(AuditLog next, Clock clock) {
    this.next = next;
    this.clock = clock;
  }

  @Override
  public void record(AuditEvent event) {
    next.record(event);
    Instant at = event.stamp(clock);
    Map<String, Object> f = event.fields();
    if (event.type() == AuditEventType.AUTH_ACCEPTED
        && f.get("client_id") instanceof String client
        && (seen.size() < MAX_CLIENTS || seen.containsKey(client))) {
      seen.put(client, at.truncatedTo(ChronoUnit.MILLIS));
    }
    if (event.type() == AuditEventType.AUTH_ACCEPTED
        || event.type() == AuditEventType.AUTH_REJECTED) {
      count(event, at);
    }
    if (!streams.isEmpty()) {
      String line = null;
      for (Stream stream : streams) {
        if (stream.filter.passes(event)) {
          if (line == null) {
            line = event.line(clock);
          }
          stream.offer(line);
        }
      }
    }
  }

  /** When {@code clientId} was last verified here, or null if not since the server started. */
  public Instant lastSeen(String clientId) {
    return seen.get(clientId);
  }

  private void count(AuditEvent event, Instant at) {
    long minute = at.getEpochSecond() / 60;
    boolean refused = event.type() == AuditEventType.AUTH_REJECTED;
    long n = refused && event.fields().get("count") instanceof Number c ? c.longValue() : 1;
    synchronized (minutes) {
      int slot = (int) (minute % minutes.length);
      Minute m = minutes[slot];
      if (m == null || m.minute != minute) {
        if (m != null && m.minute > minute) {
          return; // an event stamped more than an hour ago (a clock step): not in the window
        }
        m = new Minute(minute);
        minutes[slot] = m;
      }
      if (!refused) {
        m.accepted += n;
        return;
      }
      m.refused += n;
      bump(m.reasons, String.valueOf(event.fields().getOrDefault("reason", "unknown")), n);
      Map<String, Object> f = event.fields();
      String source =
          AuditQuery.ipOf(
              f.get("remote") instanceof String r ? r : null,
              f.get("source") instanceof String s ? s : null);
      bump(m.sources, source == null ? "unknown" : source, n);
    }
  }

  private static void bump(Map<String, Long> counts, String key, long n) {
    if (counts.size() >= MAX_KEYS_PER_MINUTE && !counts.containsKey(key)) {
      key = "other";
    }
    counts.merge(key, n, Long::sum);
  }

  /**
   * The last hour into {@code out}: {@code minutes} (sixty, oldest first, each with {@code minute},
   * {@code accepted}, {@code refused}), and the ten top {@code refused_by_reason} and {@code
   * refused_by_source}.
   */
  void lastHour(ObjectNode out) {
    long now = clock.instant().getEpochSecond() / 60;
    Map<String, Long> reasons = new HashMap<>();
    Map<String, Long> sources = new HashMap<>();
    ArrayNode series = out.putArray("minutes");
    synchronized (minutes) {
      for (long minute = now - minutes.length + 1; minute <= now; minute++) {
        Minute m = minutes[(int) (minute % minutes.length)];
        boolean here = m != null && m.minute == minute;
        series
            .addObject()
            .put("minute", Instant.ofEpochSecond(minute * 60).toString())
            .put("accepted", here ? m.accepted : 0)
            .put("refused", here ? m.refused : 0);
        if (here) {
          m.reasons.forEach((k, v) -> reasons.merge(k, v, Long::sum));
          m.sources.forEach((k, v) -> sources.merge(k, v, Long::sum));
        }
      }
    }
    top(out.putArray("refused_by_reason"), "reason", reasons);
    top(out.putArray("refused_by_source"), "source", sources);
  }

  private static void top(ArrayNode out, String name, Map<String, Long> counts) {
    counts.entrySet().stream()
        .sorted(
            Map.Entry.<String, Long>comparingByValue()
                .reversed()
                .thenComparing(Map.Entry.comparingByKey()))
        .limit(10)
        .forEach(e -> out.addObject().put(name, e.getKey()).put("count", e.getValue()));
  }

  /**
   * Opens a live tail of the events {@code filter} keeps, or returns null when {@link #MAX_STREAMS}
   * are open already.
   */
  Stream open(AuditFilter filter, String tokenId) {
    synchronized (streams) {
      if (streams.size() >= MAX_STREAMS
          || streams.stream().filter(s -> s.tokenId.equals(tokenId)).count()
              >= MAX_STREAMS_PER_TOKEN) {
        return null;
      }
      Stream stream = new Stream(filter, tokenId);
      streams.add(stream);
      return stream;
    }
  }

  private static final class Minute {
    final long minute;
    long accepted;
    long refused;
    final Map<String, Long> reasons = new HashMap<>();
    final Map<String, Long> sources = new HashMap<>();

    Minute(long minute) {
      this.minute = minute;
    }
  }

  /** One live tail: audit lines as they are written, bounded; closing it stops the feeding. */
  final class Stream implements AutoCloseable {
    final AuditFilter filter;
    final String tokenId;
    private final BlockingQueue<String> lines = new ArrayBlockingQueue<>(STREAM_QUEUE);
    private final AtomicLong lost = new AtomicLong();

    Stream(AuditFilter filter, String tokenId) {
      this.filter = filter;
      this.tokenId = tokenId;
    }

    void offer(String line) {
      if (!lines.offer(line)) {
        lost.incrementAndGet();
      }
    }

    /** The next line, or null if none came within {@code wait}. */
    String poll(Duration wait) throws InterruptedException {
      return lines.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Lines lost since the last call, because the reader fell behind. */
    long takeLost() {
      return lost.getAndSet(0);
    }

    @Override
    public void close() {
      streams.remove(this);
    }
  }

  /** The filters of a query, for events as they are recorded. */
  record AuditFilter(Set<String> events, String clientId, String source) {
    AuditFilter {
      events = Set.copyOf(events);
    }

    boolean passes(AuditEvent event) {
      Map<String, Object> f = event.fields();
      if (!events.isEmpty() && !events.contains(event.name())) {
        return false;
      }
      if (clientId != null && !clientId.equals(f.get("client_id"))) {
        return false;
      }
      return source == null
          || source.equals(
              AuditQuery.ipOf(
                  f.get("remote") instanceof String r ? r : null,
                  f.get("source") instanceof String s ? s : null));
    }
  }

  static List<String> names(String commaSeparated) {
    return commaSeparated == null ? List.of() : List.of(commaSeparated.split(","));
  }
}
