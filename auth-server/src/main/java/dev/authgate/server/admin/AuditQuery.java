package dev.authgate.server.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.authgate.server.audit.AuditReader;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A page of the audit log, newest first, as {@code GET /api/audit} answers: events filtered by
 * name, client, source and time. The cursor of the next page ({@code <ts>~<n>}: older than that
 * time, or of that very millisecond and past the first {@code n} already shown) stays exact when
 * lines keep being appended or several events share a millisecond.
 *
 * @param events the event names to keep (empty: all)
 * @param clientId the {@code client_id} to keep, or null
 * @param source the address to keep (the ip of {@code remote}, or {@code source}), or null
 * @param since the oldest time to keep, or null
 * @param until the time to keep events before (exclusive), or null
 * @param limit the most events in a page (1 to {@link #MAX_LIMIT})
 * @param cursor where the page starts (a previous page's {@code next}), or null for the newest
 */
public record AuditQuery(
    Set<String> events,
    String clientId,
    String source,
    Instant since,
    Instant until,
    int limit,
    String cursor) {
  /** The most events one page holds. */
  public static final int MAX_LIMIT = 1000;

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();

  private static final Pattern CURSOR = Pattern.compile("([^~]{1,40})~(\\d{1,5})");

  /**
   * The most events of one millisecond a cursor may have shown already: the events a page keeps to
   * skip them are bounded by it (a cursor claiming more is refused, not obeyed).
   */
  static final int MAX_SKIP = 10_000;

  /** Validates the page size and the cursor. */
  public AuditQuery {
    events = Set.copyOf(events);
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new IllegalArgumentException("limit must be 1 to " + MAX_LIMIT);
    }
    if (cursor != null) {
      parseCursor(cursor);
    }
  }

  /** A page: the events, newest first, and the cursor of the next older page (null: none). */
  public record Page(List<JsonNode> events, String next, long malformedLines) {}

  private record Cursor(Instant at, int skip) {}

  private static Cursor parseCursor(String text) {
    Matcher m = CURSOR.matcher(text);
    try {
      if (m.matches() && Integer.parseInt(m.group(2)) <= MAX_SKIP) {
        return new Cursor(Instant.parse(m.group(1)), Integer.parseInt(m.group(2)));
      }
    } catch (DateTimeParseException e) {
      // said below
    }
    throw new IllegalArgumentException("cursor is not one this API gave (next of a page)");
  }

  /**
   * Reads {@code log} and its rotated files from the newest line back, stopping as soon as the page
   * is full: the newest pages of a long log cost only their own lines. (A rotated, gzipped file is
   * read from its start, keeping only as many of its events as the page can still use.)
   */
  public Page run(Path log) throws IOException {
    Cursor from = cursor == null ? null : parseCursor(cursor);
    Collector page = new Collector(from, limit + 1);
    AuditReader gzipped = new AuditReader();
    long malformed = 0;
    List<Path> files = AuditReader.files(log);
    for (int i = files.size() - 1; i >= 0 && !page.full(); i--) {
      Path file = files.get(i);
      if (file.toString().endsWith(".gz")) {
        Deque<Timed> window = new ArrayDeque<>();
        int keep = page.room();
        gzipped.read(
            List.of(file),
            event -> {
              Instant at = time(event);
              if (at != null && passes(event, at) && (from == null || !at.isAfter(from.at()))) {
                window.addLast(new Timed(event, at));
                if (window.size() > keep) {
                  window.removeFirst();
                }
              }
            });
        window.descendingIterator().forEachRemaining(page::offer);
        continue;
      }
      try (ReverseLines lines = new ReverseLines(file)) {
        for (String line = lines.next(); line != null && !page.full(); line = lines.next()) {
          JsonNode event = parse(line);
          Instant at = event == null ? null : time(event);
          if (at == null) {
            malformed++;
          } else if (passes(event, at)) {
            page.offer(new Timed(event, at));
          }
        }
        malformed += lines.skipped();
      }
    }
    return page.page(limit, from, malformed + gzipped.malformedLines());
  }

  /** The events of a page, newest first, past the cursor. */
  private static final class Collector {
    private final Cursor from;
    private final int wanted;
    private final List<Timed> events = new ArrayList<>();
    private int skipped;

    Collector(Cursor from, int wanted) {
      this.from = from;
      this.wanted = wanted;
    }

    boolean full() {
      return events.size() >= wanted;
    }

    /** How many more events, newest first, this page could still use or skip. */
    int room() {
      return wanted - events.size() + (from == null ? 0 : from.skip() - skipped);
    }

    /** Offers the next older event. */
    void offer(Timed t) {
      if (full()) {
        return;
      }
      if (from != null) {
        if (t.at().isAfter(from.at())) {
          return;
        }
        if (t.at().equals(from.at()) && skipped < from.skip()) {
          skipped++; // shown on an earlier page
          return;
        }
      }
      events.add(t);
    }

    Page page(int limit, Cursor from, long malformed) {
      boolean more = events.size() > limit;
      List<Timed> shown = events.subList(0, Math.min(limit, events.size()));
      List<JsonNode> out = new ArrayList<>(shown.size());
      shown.forEach(t -> out.add(t.event()));
      String next = null;
      if (more && !shown.isEmpty()) {
        Instant oldest = shown.get(shown.size() - 1).at();
        int sameMillisecond = (int) shown.stream().filter(t -> t.at().equals(oldest)).count();
        if (from != null && from.at().equals(oldest)) {
          sameMillisecond += from.skip();
        }
        next = oldest + "~" + sameMillisecond;
      }
      return new Page(out, next, malformed);
    }
  }

  private static JsonNode parse(String line) {
    try {
      JsonNode node = JSON.readTree(line);
      return node != null && node.isObject() ? node : null;
    } catch (IOException e) {
      return null;
    }
  }

  private record Timed(JsonNode event, Instant at) {}

  private static Instant time(JsonNode event) {
    try {
      return Instant.parse(event.path("ts").asText(""));
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private boolean passes(JsonNode event, Instant at) {
    if (!events.isEmpty() && !events.contains(event.path("event").asText(""))) {
      return false;
    }
    if (clientId != null && !clientId.equals(event.path("client_id").asText(null))) {
      return false;
    }
    if (source != null && !source.equals(ipOf(event))) {
      return false;
    }
    if (since != null && at.isBefore(since)) {
      return false;
    }
    return until == null || at.isBefore(until);
  }

  /**
   * The address an event came from: {@code remote}'s ip ({@code [v6]:port} too), or {@code source}.
   */
  static String ipOf(JsonNode event) {
    return ipOf(event.path("remote").asText(null), event.path("source").asText(null));
  }

  /** The ip of {@code remote} ({@code ip:port} or {@code [v6]:port}), else {@code source}. */
  static String ipOf(String remote, String source) {
    if (remote == null) {
      return source;
    }
    if (remote.startsWith("[")) {
      int close = remote.indexOf(']');
      return close < 0 ? remote : remote.substring(1, close);
    }
    int colon = remote.lastIndexOf(':');
    return colon < 0 ? remote : remote.substring(0, colon);
  }
}
