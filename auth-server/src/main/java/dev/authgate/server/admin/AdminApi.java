package dev.authgate.server.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.authgate.protocol.keyfile.AdminTokenFile;
import dev.authgate.protocol.keyfile.ClientIds;
import dev.authgate.protocol.keyfile.ClientKeys;
import dev.authgate.protocol.keyfile.KeyFileException;
import dev.authgate.protocol.keyfile.TokenFile;
import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.audit.AuditLog;
import dev.authgate.server.audit.AuditReader;
import dev.authgate.server.audit.AuditSummary;
import dev.authgate.server.audit.AuditTimes;
import dev.authgate.server.connection.LiveSession;
import dev.authgate.server.keystore.KeyStates;
import dev.authgate.server.keystore.KeystoreDirectory;
import dev.authgate.server.keystore.KeystoreSnapshot;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * The admin API's routes: what {@code keys} and {@code audit} do, as JSON. Each route checks the
 * token's scope; each change is written to the audit log first, with the token's name, under the
 * keystore's lock, as the {@code keys} commands write theirs. Thread-safe (no state of its own).
 */
final class AdminApi {
  static final ObjectMapper JSON = new ObjectMapper();

  /** The most clients one listing holds, and how many it holds unless asked. */
  static final int MAX_CLIENTS = 10_000;

  static final int DEFAULT_CLIENTS = 500;

  private final KeystoreDirectory keystore;
  private final Supplier<KeystoreSnapshot> live;
  private final java.util.function.Consumer<String> changed;
  private final Supplier<List<LiveSession>> sessions;
  private final AdminFeed feed;
  private final AuditLog audit;
  private final Path auditLog;
  private final IntSupplier penalized;
  private final Clock clock;

  AdminApi(AdminServer.Backing b) {
    this.keystore = b.keystore();
    this.live = b.live();
    this.changed = b.changed();
    this.sessions = b.sessions();
    this.feed = b.feed();
    this.audit = b.audit();
    this.auditLog = b.auditLog();
    this.penalized = b.penalized();
    this.clock = b.clock();
  }

  /** Answers {@code call}, or throws an {@link ApiException} saying why not. */
  JsonNode handle(ApiCall call) throws IOException {
    String[] parts =
        Arrays.stream(call.path().split("/")).filter(p -> !p.isEmpty()).toArray(String[]::new);
    if (parts.length < 2 || !parts[0].equals("api")) {
      throw notFound(call);
    }
    return switch (parts[1]) {
      case "clients" -> clients(call, parts);
      case "sessions" -> {
        requireRoute(call, parts.length == 2, "GET");
        yield sessionList();
      }
      case "tokens" -> {
        requireRoute(call, parts.length == 2, "GET");
        yield enrollmentTokens();
      }
      case "audit" -> auditRoutes(call, parts);
      case "overview" -> {
        requireRoute(call, parts.length == 2, "GET");
        yield overview();
      }
      case "whoami" -> {
        requireRoute(call, parts.length == 2, "GET");
        yield JSON.createObjectNode()
            .put("name", call.token().name())
            .put("token_id", call.token().tokenId())
            .put("scope", call.token().scope().label())
            .put("expires", call.token().expires().toString());
      }
      default -> throw notFound(call);
    };
  }

  private JsonNode clients(ApiCall call, String[] parts) throws IOException {
    if (parts.length == 2) {
      requireRoute(call, true, "GET");
      return clientList(
          call.param("q"),
          call.param("state"),
          count(call.param("limit"), "limit", DEFAULT_CLIENTS, 1, MAX_CLIENTS));
    }
    String clientId = parts[2];
    if (!ClientIds.isValid(clientId)) {
      throw new ApiException(400, "bad-request", "a client id must be " + ClientIds.RULE);
    }
    if (parts.length == 3) {
      requireRoute(call, true, "GET");
      return oneClient(clientId);
    }
    requireRoute(call, parts.length == 4, "POST");
    requireWrite(call);
    return switch (parts[3]) {
      case "revoke" -> revoke(call, clientId);
      case "approve" -> decide(call, clientId, true);
      case "deny" -> decide(call, clientId, false);
      default -> throw notFound(call);
    };
  }

  private JsonNode clientList(String search, String state, int limit) throws IOException {
    if (state != null
        && !Set.of("active", "pending", "locked", "expired", "revoked").contains(state)) {
      throw new ApiException(
          400, "bad-request", "state must be active, pending, locked, expired or revoked");
    }
    // The keystore as the server holds it (the watcher's last read, and every change made here,
    // by an enrollment or through this API): a directory read of 10 000 files would take longer.
    KeystoreSnapshot snapshot = live.get();
    Instant now = clock.instant();
    Map<String, Integer> open =
        ClientJson.countByClient(sessions.get().stream().map(LiveSession::clientId).toList());
    ObjectNode out = JSON.createObjectNode();
    ArrayNode list = out.putArray("clients");
    String needle = search == null ? null : search.toLowerCase(Locale.ROOT);
    int matched = 0;
    for (ClientKeys client :
        snapshot.clients().values().stream()
            .sorted(Comparator.comparing(ClientKeys::clientId))
            .toList()) {
      if (needle != null && !client.clientId().toLowerCase(Locale.ROOT).contains(needle)) {
        continue;
      }
      if (state != null && !state.equals(KeyStates.clientState(client, now))) {
        continue;
      }
      if (++matched <= limit) {
        ClientJson.client(
            list.addObject(),
            client,
            now,
            feed.lastSeen(client.clientId()),
            open.getOrDefault(client.clientId(), 0));
      }
    }
    out.put("total", matched);
    ArrayNode skipped = out.putArray("skipped_files");
    snapshot.skipped().forEach(s -> skipped.add(s.problem()));
    return out;
  }

  private JsonNode oneClient(String clientId) throws IOException {
    ClientKeys client = read(clientId);
    int open = (int) sessions.get().stream().filter(s -> s.clientId().equals(clientId)).count();
    return ClientJson.client(
        JSON.createObjectNode(), client, clock.instant(), feed.lastSeen(clientId), open);
  }

  private ClientKeys read(String clientId) throws IOException {
    try {
      return keystore.client(clientId);
    } catch (KeyFileException e) {
      throw new ApiException(404, "not-found", "no client '" + clientId + "' in the keystore");
    }
  }

  private JsonNode revoke(ApiCall call, String clientId) throws IOException {
    read(clientId);
    int revoked =
        audited(
            call,
            AuditEvent.of(AuditEventType.KEYS_REVOKED).with("client_id", clientId),
            () -> keystore.revoke(clientId));
    changed.accept(clientId);
    return JSON.createObjectNode()
        .put("client_id", clientId)
        .put("revoked_keys", revoked)
        .put(
            "message",
            "its sessions end within seconds, as every server sharing the keystore sees the change");
  }

  private JsonNode decide(ApiCall call, String clientId, boolean approve) throws IOException {
    read(clientId);
    try {
      keystore.enrollmentTokens().requirePending(clientId);
    } catch (KeyFileException e) {
      throw new ApiException(
          409, "not-pending", "client '" + clientId + "' is not waiting for approval");
    }
    audited(
        call,
        AuditEvent.of(approve ? AuditEventType.ENROLL_APPROVED : AuditEventType.ENROLL_DENIED)
            .with("client_id", clientId),
        () -> {
          if (approve) {
            keystore.enrollmentTokens().approve(clientId);
          } else {
            keystore.enrollmentTokens().deny(clientId);
          }
          return null;
        });
    changed.accept(clientId);
    return oneClient(clientId);
  }

  /**
   * The console's first page: sessions now by kind, the last hour per minute with the top refusal
   * reasons and sources, sources penalised now, and the clients as the server holds them.
   */
  private JsonNode overview() {
    ObjectNode out = JSON.createObjectNode();
    ObjectNode byKind = out.putObject("sessions");
    List<LiveSession> open = sessions.get();
    byKind.put("total", open.size());
    for (String kind : List.of("ping", "chat", "upload", "download")) {
      byKind.put(kind, open.stream().filter(s -> s.kind().equals(kind)).count());
    }
    out.put("penalized_sources", penalized.getAsInt());
    KeystoreSnapshot now = live.get();
    Instant at = clock.instant();
    ObjectNode clients = out.putObject("clients");
    clients.put("total", now.clients().size());
    for (String state : List.of("active", "pending", "locked", "expired", "revoked")) {
      clients.put(state, 0);
    }
    for (ClientKeys client : now.clients().values()) {
      String state = KeyStates.clientState(client, at);
      clients.put(state, clients.path(state).asInt() + 1);
    }
    feed.lastHour(out);
    return out;
  }

  private JsonNode sessionList() {
    ObjectNode out = JSON.createObjectNode();
    ArrayNode list = out.putArray("sessions");
    for (LiveSession s : sessions.get()) {
      list.addObject()
          .put("id", s.id())
          .put("client_id", s.clientId())
          .put("key_id", s.keyId())
          .put("kind", s.kind())
          .put("remote", s.remote())
          .put("since", s.since().toString());
    }
    return out;
  }

  private JsonNode enrollmentTokens() throws IOException {
    Instant now = clock.instant();
    ObjectNode out = JSON.createObjectNode();
    ArrayNode list = out.putArray("tokens");
    for (TokenFile t : keystore.enrollmentTokens().list()) {
      String unusable = t.unusableReason(now);
      ObjectNode token =
          list.addObject()
              .put("token_id", t.tokenId())
              .put("state", unusable == null ? "usable" : unusable.substring("token-".length()))
              .put("uses", t.uses())
              .put("used", t.used())
              .put("created", t.created().toString())
              .put("expires", t.expires().toString())
              .put("approve", t.approve());
      token.put("client_id", t.clientId());
      token.put("prefix", t.prefix());
    }
    return out;
  }

  private JsonNode auditRoutes(ApiCall call, String[] parts) throws IOException {
    if (auditLog == null) {
      throw new ApiException(
          409,
          "no-audit-file",
          "this server writes its audit log to stdout; there is no file to query");
    }
    if (parts.length == 2) {
      requireRoute(call, true, "GET");
      return auditPage(call);
    }
    requireRoute(call, parts.length == 3 && parts[2].equals("summary"), "GET");
    String since = call.param("since");
    AuditSummary summary = new AuditSummary(since == null ? null : time(since, "since"));
    AuditReader reader = new AuditReader();
    reader.read(AuditReader.files(auditLog), summary::add);
    return summary.toJson(JSON, count(call.param("top"), "top", 10, 1, 100));
  }

  private JsonNode auditPage(ApiCall call) throws IOException {
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
              since == null ? null : time(since, "since"),
              until == null ? null : time(until, "until"),
              count(call.param("limit"), "limit", 100, 1, AuditQuery.MAX_LIMIT),
              call.param("cursor"));
    } catch (IllegalArgumentException e) {
      throw new ApiException(400, "bad-request", e.getMessage());
    }
    AuditQuery.Page page = query.run(auditLog);
    ObjectNode out = JSON.createObjectNode();
    page.events().forEach(out.putArray("events")::add);
    out.put("next", page.next());
    return out;
  }

  private Instant time(String text, String what) {
    try {
      return AuditTimes.parse(text, clock, what);
    } catch (IllegalArgumentException e) {
      throw new ApiException(400, "bad-request", e.getMessage());
    }
  }

  private static int count(String text, String what, int fallback, int least, int most) {
    if (text == null) {
      return fallback;
    }
    try {
      int n = Integer.parseInt(text);
      if (n >= least && n <= most) {
        return n;
      }
    } catch (NumberFormatException e) {
      // said below
    }
    throw new ApiException(
        400, "bad-request", what + " must be a whole number from " + least + " to " + most);
  }

  /** A change, written to the audit log first (with the admin token's name) holding the lock. */
  private <T> T audited(ApiCall call, AuditEvent intent, KeystoreDirectory.Change<T> change)
      throws IOException {
    return keystore.whileLocked(
        () -> {
          AuditEvent event = by(call, intent);
          audit.record(event);
          try {
            return change.apply();
          } catch (IOException | RuntimeException e) {
            audit.record(
                by(call, AuditEvent.of(event.type()))
                    .with("ok", false)
                    .with("error", e.getMessage())
                    .with("client_id", event.fields().get("client_id")));
            throw e;
          }
        });
  }

  private static AuditEvent by(ApiCall call, AuditEvent event) {
    return event
        .with("admin", call.token().name())
        .with("admin_token_id", call.token().tokenId())
        .with("source", call.source());
  }

  private static void requireWrite(ApiCall call) {
    if (call.token().scope() != AdminTokenFile.Scope.WRITE) {
      throw new ApiException(403, "read-only-token", "this token may only read (--scope read)");
    }
  }

  private static void requireRoute(ApiCall call, boolean exists, String method) {
    if (!exists) {
      throw notFound(call);
    }
    if (!call.method().equals(method)) {
      throw new ApiException(405, "method-not-allowed", call.path() + " takes " + method + " only");
    }
  }

  private static ApiException notFound(ApiCall call) {
    return new ApiException(404, "not-found", "no route " + call.path());
  }
}
