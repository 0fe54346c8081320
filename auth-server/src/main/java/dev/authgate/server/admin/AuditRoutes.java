package dev.authgate.server.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.authgate.server.audit.AuditReader;
import dev.authgate.server.audit.AuditSummary;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/** {@code /api/audit}: the log paged newest first, and its summary (as {@code audit --json}). */
final class AuditRoutes {
  private final ApiSupport api;
  private final Path auditLog;

  /**
   * @param auditLog the log file, or null when the log goes to stdout
   */
  AuditRoutes(ApiSupport api, Path auditLog) {
    this.api = api;
    this.auditLog = auditLog;
  }

  /**
   * Reads of the log at once: each may read far back (a filter that matches little), so more wait
   * their turn, for a while, rather than take every core.
   */
  private final java.util.concurrent.Semaphore readers = new java.util.concurrent.Semaphore(2);

  JsonNode handle(ApiCall call, String[] parts) throws IOException {
    try {
      if (!readers.tryAcquire(10, java.util.concurrent.TimeUnit.SECONDS)) {
        throw new ApiException(
            429, "busy", "other reads of the audit log are running; try again", 2);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApiException(503, "busy", "the server is stopping");
    }
    try {
      return read(call, parts);
    } finally {
      readers.release();
    }
  }

  private JsonNode read(ApiCall call, String[] parts) throws IOException {
    if (auditLog == null) {
      throw new ApiException(
          409,
          "no-audit-file",
          "this server writes its audit log to stdout; there is no file to query");
    }
    if (parts.length == 2) {
      ApiSupport.requireRoute(call, true, "GET");
      return page(call);
    }
    ApiSupport.requireRoute(call, parts.length == 3 && parts[2].equals("summary"), "GET");
    String since = call.param("since");
    AuditSummary summary = new AuditSummary(since == null ? null : api.time(since, "since"));
    AuditReader reader = new AuditReader();
    reader.read(AuditReader.files(auditLog), summary::add);
    return summary.toJson(AdminApi.JSON, ApiSupport.count(call.param("top"), "top", 10, 1, 100));
  }

  private JsonNode page(ApiCall call) throws IOException {
    Set<String> events = new HashSet<>();
    String named = call.param("event");
    if (named != null) {
      events.addAll(Arrays.asList(named.split(",")));
    }
    String since = call.param("since");
    String until = call.param("until");
    AuditQuery query;
    try {
      query =
          new AuditQuery(
              events,
              call.param("client"),
              call.param("source"),
              since == null ? null : api.time(since, "since"),
              until == null ? null : api.time(until, "until"),
              ApiSupport.count(call.param("limit"), "limit", 100, 1, AuditQuery.MAX_LIMIT),
              call.param("cursor"));
    } catch (IllegalArgumentException e) {
      throw new ApiException(400, "bad-request", e.getMessage());
    }
    AuditQuery.Page page = query.run(auditLog);
    ObjectNode out = AdminApi.JSON.createObjectNode();
    page.events().forEach(out.putArray("events")::add);
    out.put("next", page.next());
    return out;
  }
}
