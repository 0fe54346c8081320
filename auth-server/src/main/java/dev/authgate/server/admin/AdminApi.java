package dev.authgate.server.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.authgate.protocol.keyfile.ClientKeys;
import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.connection.LiveSession;
import dev.authgate.server.keystore.KeyStates;
import dev.authgate.server.keystore.KeystoreSnapshot;
import java.io.IOException;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiPredicate;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * The admin API's routes: what {@code keys} and {@code audit} do, as JSON ({@link ClientRoutes},
 * {@link TokenRoutes}, {@link AuditRoutes}), and the console's overview and session list. Each
 * route checks the token's scope; each change is written to the audit log first, with the token's
 * name, under the keystore's lock ({@link ApiSupport#audited}). Thread-safe (no state of its own).
 */
final class AdminApi {
  static final ObjectMapper JSON = new ObjectMapper();

  private final ApiSupport api;
  private final Supplier<KeystoreSnapshot> live;
  private final Supplier<List<LiveSession>> sessions;
  private final AdminFeed feed;
  private final IntSupplier penalized;
  private final BiPredicate<String, String> closeSessionById;
  private final ClientRoutes clients;
  private final TokenRoutes tokens;
  private final AuditRoutes audit;

  AdminApi(AdminServer.Backing b) {
    this.api = new ApiSupport(b.keystore(), b.audit(), b.clock());
    this.live = b.live();
    this.sessions = b.sessions();
    this.feed = b.feed();
    this.penalized = b.penalized();
    this.closeSessionById = b.closeSession();
    this.clients = new ClientRoutes(api, b.live(), b.changed(), b.sessions(), b.feed()::lastSeen);
    this.tokens = new TokenRoutes(api);
    this.audit = new AuditRoutes(api, b.auditLog());
  }

  /** Answers {@code call}, or throws an {@link ApiException} saying why not. */
  JsonNode handle(ApiCall call) throws IOException {
    String[] parts =
        Arrays.stream(call.path().split("/")).filter(p -> !p.isEmpty()).toArray(String[]::new);
    if (parts.length < 2 || !parts[0].equals("api")) {
      throw ApiSupport.notFound(call);
    }
    return switch (parts[1]) {
      case "clients" -> clients.handle(call, parts);
      case "tokens" -> tokens.handle(call, parts);
      case "audit" -> audit.handle(call, parts);
      case "sessions" -> {
        if (parts.length == 4) {
          ApiSupport.requireRoute(call, parts[3].equals("close"), "POST");
          ApiSupport.requireWrite(call);
          yield closeSession(call, parts[2]);
        }
        ApiSupport.requireRoute(call, parts.length == 2, "GET");
        yield sessionList();
      }
      case "overview" -> {
        ApiSupport.requireRoute(call, parts.length == 2, "GET");
        yield overview();
      }
      case "whoami" -> {
        ApiSupport.requireRoute(call, parts.length == 2, "GET");
        yield JSON.createObjectNode()
            .put("name", call.token().name())
            .put("token_id", call.token().tokenId())
            .put("scope", call.token().scope().label())
            .put("expires", call.token().expires().toString());
      }
      default -> throw ApiSupport.notFound(call);
    };
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
    Instant at = api.clock.instant();
    ObjectNode counts = out.putObject("clients");
    counts.put("total", now.clients().size());
    for (String state : List.of("active", "pending", "locked", "expired", "revoked")) {
      counts.put(state, 0);
    }
    for (ClientKeys client : now.clients().values()) {
      String state = KeyStates.clientState(client, at);
      counts.put(state, counts.path(state).asInt() + 1);
    }
    feed.lastHour(out);
    return out;
  }

  /**
   * Closes a verified session with a reason its client is told (CLOSE "closed by an operator:
   * REASON"); an unattended client reconnects as after a restart (revoke keeps one out).
   */
  private JsonNode closeSession(ApiCall call, String id) {
    String reason = ApiSupport.text(call, "reason");
    if (reason == null
        || reason.isBlank()
        || reason.length() > 200
        || reason
            .codePoints()
            .anyMatch(c -> Character.isISOControl(c) || c == 0x2028 || c == 0x2029)) {
      throw new ApiException(
          400, "bad-request", "reason must be 1 to 200 characters, with no control characters");
    }
    LiveSession session =
        sessions.get().stream()
            .filter(s -> s.id().equals(id))
            .findFirst()
            .orElseThrow(
                () -> new ApiException(404, "not-found", "no open session " + Http.cut(id)));
    api.record(
        call,
        AuditEvent.of(AuditEventType.ADMIN_SESSION_CLOSED)
            .with("conn", id)
            .with("client_id", session.clientId())
            .with("reason", reason));
    if (!closeSessionById.test(id, reason)) {
      throw new ApiException(404, "not-found", "the session " + id + " ended already");
    }
    return JSON.createObjectNode()
        .put("id", id)
        .put("client_id", session.clientId())
        .put("closed", true);
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
}
