package dev.authgate.server.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.authgate.server.net.Addresses;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Counts accepted and rejected connections since an instant, and groups rejections by source
 * address, by claimed client id and by reason, with the first and last time of each group.
 * Aggregated refusals (with a {@code count}) count as that many. Each grouping keeps at most {@link
 * #MAX_GROUPS} keys — beyond that they are counted under {@code (other)} — so memory stays bounded
 * whatever the log holds. Not thread-safe.
 */
public final class AuditSummary {
  /** The most distinct keys remembered per grouping. */
  public static final int MAX_GROUPS = 100_000;

  private final Instant since;
  private long accepted;
  private long rejected;
  private final Map<String, Group> bySource = new HashMap<>();
  private final Map<String, Group> byClientId = new HashMap<>();
  private final Map<String, Group> byReason = new HashMap<>();
  private final Map<String, Group> byServer = new HashMap<>();

  /** One group's tally. */
  public static final class Group {
    long count;
    String first;
    String last;

    /** Events in the group. */
    public long count() {
      return count;
    }

    /** Timestamp of the first event. */
    public String first() {
      return first;
    }

    /** Timestamp of the last event. */
    public String last() {
      return last;
    }
  }

  /** A summary of events at or after {@code since} (null: everything). */
  public AuditSummary(Instant since) {
    this.since = since;
  }

  /** Adds one event. */
  public void add(JsonNode event) {
    String ts = event.path("ts").asText();
    if (since != null && !atOrAfter(ts)) {
      return;
    }
    AuditEventType type = AuditEventType.fromWireName(event.path("event").asText()).orElse(null);
    if (type == AuditEventType.AUTH_ACCEPTED) {
      accepted++;
    } else if (type == AuditEventType.AUTH_REJECTED) {
      addRejection(event, ts);
    }
    // Other events do not enter the summary.
  }

  private boolean atOrAfter(String ts) {
    try {
      return !Instant.parse(ts).isBefore(since);
    } catch (DateTimeParseException e) {
      return false;
    }
  }

  private void addRejection(JsonNode event, String ts) {
    long count = Math.max(1, event.path("count").asLong(1));
    rejected += count;
    String source =
        sourceKey(
            event.hasNonNull("source")
                ? event.path("source").asText()
                : host(event.path("remote").asText()));
    tally(bySource, source, count, ts);
    tally(
        byClientId,
        event.hasNonNull("client_id") ? event.path("client_id").asText() : "-",
        count,
        ts);
    tally(byReason, event.path("reason").asText("-"), count, ts);
    tally(byServer, event.path("server_id").asText("-"), count, ts);
  }

  /** Whether any rejection named the server that wrote it (logs of several servers). */
  public boolean namesServers() {
    return byServer.keySet().stream().anyMatch(k -> !k.equals("-"));
  }

  /**
   * One name per source, whichever event named it: a single address's netblock ({@code /32}, {@code
   * /128}) is the address, and IPv6 is compact (older logs printed it long).
   */
  static String sourceKey(String source) {
    String key = source;
    if (key.endsWith("/32") && !key.contains(":")) {
      key = key.substring(0, key.length() - 3);
    } else if (key.endsWith("/128")) {
      key = key.substring(0, key.length() - 4);
    }
    int slash = key.indexOf('/');
    String address = slash < 0 ? key : key.substring(0, slash);
    return Addresses.compactIpv6(address) + (slash < 0 ? "" : key.substring(slash));
  }

  /** {@code 127.0.0.1:5000} to {@code 127.0.0.1}, {@code [::1]:5000} to {@code ::1}. */
  static String host(String remote) {
    if (remote.startsWith("[")) {
      int end = remote.indexOf(']');
      return end > 0 ? remote.substring(1, end) : remote;
    }
    int colon = remote.lastIndexOf(':');
    return colon > 0 ? remote.substring(0, colon) : remote.isEmpty() ? "-" : remote;
  }

  private static void tally(Map<String, Group> groups, String key, long count, String ts) {
    Group group = groups.get(key);
    if (group == null) {
      String slot = groups.size() < MAX_GROUPS ? key : "(other)";
      group = groups.computeIfAbsent(slot, k -> new Group());
    }
    group.count += count;
    if (group.first == null || ts.compareTo(group.first) < 0) {
      group.first = ts;
    }
    if (group.last == null || ts.compareTo(group.last) > 0) {
      group.last = ts;
    }
  }

  /** Accepted connections. */
  public long accepted() {
    return accepted;
  }

  /** Rejected connections. */
  public long rejected() {
    return rejected;
  }

  /** The top {@code n} groups of a grouping ({@code source}, {@code client_id}, {@code reason}). */
  public List<Map.Entry<String, Group>> top(String grouping, int n) {
    Map<String, Group> groups =
        switch (grouping) {
          case "source" -> bySource;
          case "client_id" -> byClientId;
          case "reason" -> byReason;
          case "server_id" -> byServer;
          default -> throw new IllegalArgumentException("no grouping " + grouping);
        };
    return groups.entrySet().stream()
        .sorted(
            Comparator.<Map.Entry<String, Group>>comparingLong(e -> -e.getValue().count)
                .thenComparing(Map.Entry::getKey))
        .limit(n)
        .toList();
  }

  /**
   * The groupings worth showing: reason, source, client id, and the server when the events name
   * theirs.
   */
  public List<String> groupings() {
    return namesServers()
        ? List.of("reason", "source", "client_id", "server_id")
        : List.of("reason", "source", "client_id");
  }

  /** The summary as one JSON document. */
  public ObjectNode toJson(ObjectMapper mapper, int n) {
    ObjectNode root = mapper.createObjectNode();
    root.put("since", since == null ? null : since.toString());
    root.put("accepted", accepted);
    root.put("rejected", rejected);
    for (String grouping : groupings()) {
      ArrayNode groups = root.putArray("by_" + grouping);
      for (Map.Entry<String, Group> e : top(grouping, n)) {
        groups
            .addObject()
            .put(grouping, e.getKey())
            .put("count", e.getValue().count)
            .put("first", e.getValue().first)
            .put("last", e.getValue().last);
      }
    }
    return root;
  }
}
