package dev.authgate.server.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.keyfile.ClientIds;
import dev.authgate.protocol.keyfile.EnrollmentToken;
import dev.authgate.protocol.keyfile.KeyFileException;
import dev.authgate.protocol.keyfile.TokenFile;
import dev.authgate.protocol.text.Durations;
import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditEventType;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * {@code /api/tokens}: what {@code keys token list}, {@code create} and {@code revoke} do. A new
 * token is in the answer once and nowhere else (only its verifier is kept); it pins the host key
 * servers sign with now, as the command's does.
 */
final class TokenRoutes {
  private final ApiSupport api;

  TokenRoutes(ApiSupport api) {
    this.api = api;
  }

  JsonNode handle(ApiCall call, String[] parts) throws IOException {
    if (parts.length == 2) {
      if (call.method().equals("POST")) {
        ApiSupport.requireWrite(call);
        return create(call);
      }
      ApiSupport.requireRoute(call, true, "GET");
      return list();
    }
    ApiSupport.requireRoute(
        call,
        parts.length == 4 && parts[3].equals("revoke") && parts[2].matches("[0-9a-f]{16}"),
        "POST");
    ApiSupport.requireWrite(call);
    return revoke(call, parts[2]);
  }

  private JsonNode list() throws IOException {
    Instant now = api.clock.instant();
    ObjectNode out = AdminApi.JSON.createObjectNode();
    ArrayNode list = out.putArray("tokens");
    for (TokenFile t : api.keystore.enrollmentTokens().list()) {
      token(list.addObject(), t, now);
    }
    return out;
  }

  private static ObjectNode token(ObjectNode out, TokenFile t, Instant now) {
    String unusable = t.unusableReason(now);
    out.put("token_id", t.tokenId())
        .put("state", unusable == null ? "usable" : unusable.substring("token-".length()))
        .put("uses", t.uses())
        .put("used", t.used())
        .put("created", t.created().toString())
        .put("expires", t.expires().toString())
        .put("approve", t.approve());
    out.put("client_id", t.clientId());
    out.put("prefix", t.prefix());
    return out;
  }

  private JsonNode create(ApiCall call) throws IOException {
    String clientId = ApiSupport.text(call, "client_id");
    String prefix = ApiSupport.text(call, "prefix");
    if (clientId != null && prefix != null) {
      throw new ApiException(400, "bad-request", "give client_id or prefix, not both");
    }
    if (clientId != null && !ClientIds.isValid(clientId)) {
      throw new ApiException(400, "bad-request", "client_id must be " + ClientIds.RULE);
    }
    int uses = ApiSupport.count(ApiSupport.text(call, "uses"), "uses", 1, 1, 1_000_000);
    String expiresText = ApiSupport.text(call, "expires");
    Duration lifetime;
    try {
      lifetime = expiresText == null ? Duration.ofHours(1) : Durations.parse(expiresText);
    } catch (IllegalArgumentException e) {
      throw new ApiException(400, "bad-request", "expires: " + e.getMessage());
    }
    if (lifetime.isZero() || lifetime.isNegative()) {
      throw new ApiException(400, "bad-request", "expires must be positive");
    }
    boolean approve = call.body().path("approve").asBoolean(false);
    List<String> pins = api.keystore.hostKeyPins();
    EnrollmentToken generated = EnrollmentToken.generate(RandomSource.secure());
    EnrollmentToken token = pins.isEmpty() ? generated : generated.withHostKey(pins.get(0));
    try {
      if (clientId != null) {
        // Refused before anything is written (the change checks again, holding the lock).
        api.keystore.requireNotRevoked(clientId, "a token cannot enroll it");
        api.keystore.requireNew(clientId);
      }
      api.audited(
          call,
          AuditEvent.of(AuditEventType.ENROLL_TOKEN_CREATED)
              .with("token_id", token.tokenId())
              .with("client_id", clientId)
              .with("prefix", prefix)
              .with("uses", uses)
              .with("expires_s", lifetime.toSeconds())
              .with("approve", approve),
          () ->
              api.keystore
                  .enrollmentTokens()
                  .create(token, lifetime, uses, approve, clientId, prefix));
    } catch (KeyFileException | IllegalArgumentException e) {
      throw new ApiException(409, "conflict", e.getMessage());
    }
    ObjectNode out =
        token(
            AdminApi.JSON.createObjectNode(),
            api.keystore.enrollmentTokens().read(token.tokenId()).orElseThrow(),
            api.clock.instant());
    out.put("token", token.text());
    return out;
  }

  private JsonNode revoke(ApiCall call, String tokenId) throws IOException {
    if (api.keystore.enrollmentTokens().read(tokenId).isEmpty()) {
      throw new ApiException(404, "not-found", "no enrollment token " + tokenId);
    }
    TokenFile revoked =
        api.audited(
            call,
            AuditEvent.of(AuditEventType.ENROLL_TOKEN_REVOKED).with("token_id", tokenId),
            () -> api.keystore.enrollmentTokens().revoke(tokenId));
    return token(AdminApi.JSON.createObjectNode(), revoked, api.clock.instant());
  }
}
