package dev.authgate.server.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.authgate.protocol.keyfile.ClientIds;
import dev.authgate.protocol.keyfile.ClientKeys;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.keyfile.KeyFileException;
import dev.authgate.protocol.keyfile.Permissions;
import dev.authgate.protocol.text.Durations;
import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.connection.LiveSession;
import dev.authgate.server.keystore.KeyRotations;
import dev.authgate.server.keystore.KeyStates;
import dev.authgate.server.keystore.KeystoreDirectory;
import dev.authgate.server.keystore.KeystoreSnapshot;
import dev.authgate.server.keystore.PermissionChange;
import dev.authgate.server.keystore.Rotation;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * {@code /api/clients}: what {@code keys list}, {@code add}, {@code rotate}, {@code set}, {@code
 * revoke}, {@code approve} and {@code deny} do. A new credential (add, rotate) is in the answer
 * once and nowhere else; every change is audited as its {@code keys} command audits it, with the
 * admin token's name, and the server rereads the client's file at once.
 */
final class ClientRoutes {
  /** The most clients one listing holds, and how many it holds unless asked. */
  static final int MAX_CLIENTS = 10_000;

  static final int DEFAULT_CLIENTS = 500;

  private final ApiSupport api;
  private final Supplier<KeystoreSnapshot> live;
  private final Consumer<String> changed;
  private final Supplier<List<LiveSession>> sessions;
  private final Function<String, Instant> lastSeen;

  ClientRoutes(
      ApiSupport api,
      Supplier<KeystoreSnapshot> live,
      Consumer<String> changed,
      Supplier<List<LiveSession>> sessions,
      Function<String, Instant> lastSeen) {
    this.api = api;
    this.live = live;
    this.changed = changed;
    this.sessions = sessions;
    this.lastSeen = lastSeen;
  }

  private KeystoreDirectory keystore() {
    return api.keystore;
  }

  JsonNode handle(ApiCall call, String[] parts) throws IOException {
    if (parts.length == 2) {
      if (call.method().equals("POST")) {
        ApiSupport.requireWrite(call);
        return add(call);
      }
      ApiSupport.requireRoute(call, true, "GET");
      return list(
          call.param("q"),
          call.param("state"),
          ApiSupport.count(call.param("limit"), "limit", DEFAULT_CLIENTS, 1, MAX_CLIENTS));
    }
    String clientId = parts[2];
    if (!ClientIds.isValid(clientId)) {
      throw new ApiException(400, "bad-request", "a client id must be " + ClientIds.RULE);
    }
    if (parts.length == 3) {
      ApiSupport.requireRoute(call, true, "GET");
      return one(clientId);
    }
    ApiSupport.requireRoute(call, parts.length == 4, "POST");
    ApiSupport.requireWrite(call);
    return switch (parts[3]) {
      case "revoke" -> revoke(call, clientId);
      case "approve" -> decide(call, clientId, true);
      case "deny" -> decide(call, clientId, false);
      case "rotate" -> rotate(call, clientId);
      case "permissions" -> permissions(call, clientId);
      default -> throw ApiSupport.notFound(call);
    };
  }

  private JsonNode list(String search, String state, int limit) {
    if (state != null
        && !Set.of("active", "pending", "locked", "expired", "revoked").contains(state)) {
      throw new ApiException(
          400, "bad-request", "state must be active, pending, locked, expired or revoked");
    }
    // The keystore as the server holds it (the watcher's last read, and every change made here,
    // by an enrollment or through this API): a directory read of 10 000 files would take longer.
    KeystoreSnapshot snapshot = live.get();
    Instant now = api.clock.instant();
    Map<String, Integer> open =
        ClientJson.countByClient(sessions.get().stream().map(LiveSession::clientId).toList());
    ObjectNode out = AdminApi.JSON.createObjectNode();
    ArrayNode list = out.putArray("clients");
    String needle = search == null ? null : search.toLowerCase(Locale.ROOT);
    int matched = 0;
    for (ClientKeys client :
        snapshot.clients().values().stream()
            .sorted(Comparator.comparing(ClientKeys::clientId))
            .toList()) {
      if ((needle != null && !client.clientId().toLowerCase(Locale.ROOT).contains(needle))
          || (state != null && !state.equals(KeyStates.clientState(client, now)))) {
        continue;
      }
      if (++matched <= limit) {
        ClientJson.client(
            list.addObject(),
            client,
            now,
            lastSeen.apply(client.clientId()),
            open.getOrDefault(client.clientId(), 0));
      }
    }
    out.put("total", matched);
    ArrayNode skipped = out.putArray("skipped_files");
    snapshot.skipped().forEach(s -> skipped.add(s.problem()));
    return out;
  }

  private JsonNode one(String clientId) throws IOException {
    ClientKeys client = read(clientId);
    int open = (int) sessions.get().stream().filter(s -> s.clientId().equals(clientId)).count();
    return ClientJson.client(
        AdminApi.JSON.createObjectNode(),
        client,
        api.clock.instant(),
        lastSeen.apply(clientId),
        open);
  }

  private ClientKeys read(String clientId) throws IOException {
    try {
      return keystore().client(clientId);
    } catch (KeyFileException e) {
      throw new ApiException(404, "not-found", "no client '" + clientId + "' in the keystore");
    }
  }

  /** {@code keys add}: the credential is in the answer, once. */
  private JsonNode add(ApiCall call) throws IOException {
    String clientId = ApiSupport.text(call, "client_id");
    if (clientId == null || !ClientIds.isValid(clientId)) {
      throw new ApiException(400, "bad-request", "client_id must be " + ClientIds.RULE);
    }
    Credential made =
        conflicts(
            () -> {
              // Refused before anything is written (the change checks again, holding the lock).
              keystore().requireNotRevoked(clientId, KeystoreDirectory.ADD_REVOKED);
              keystore().requireNew(clientId);
              return api.audited(
                  call,
                  AuditEvent.of(AuditEventType.KEYS_ADDED)
                      .with("client_id", clientId)
                      .with("key_id", "k1"),
                  () -> {
                    keystore().requireNotRevoked(clientId, KeystoreDirectory.ADD_REVOKED);
                    return keystore().add(clientId);
                  });
            });
    changed.accept(clientId);
    return issued(made, null);
  }

  /** {@code keys rotate}: the new key's credential, once; the old keys work for {@code grace}. */
  private JsonNode rotate(ApiCall call, String clientId) throws IOException {
    read(clientId);
    String graceText = ApiSupport.text(call, "grace");
    Duration grace;
    try {
      grace = graceText == null ? Duration.ofHours(24) : Durations.parse(graceText);
    } catch (IllegalArgumentException e) {
      throw new ApiException(400, "bad-request", "grace: " + e.getMessage());
    }
    Rotation rotation =
        conflicts(
            () -> {
              keystore().requireNotRevoked(clientId, KeyRotations.ROTATE_REVOKED);
              return api.audited(
                  call,
                  AuditEvent.of(AuditEventType.KEYS_ROTATED)
                      .with("client_id", clientId)
                      .with("key_id", keystore().rotations().nextKeyIdOf(clientId))
                      .with("grace_s", grace.toSeconds()),
                  () -> {
                    keystore().requireNotRevoked(clientId, KeyRotations.ROTATE_REVOKED);
                    return keystore().rotations().rotate(clientId, grace);
                  });
            });
    changed.accept(clientId);
    return issued(rotation.credential(), rotation.oldKeysUntil());
  }

  private static ObjectNode issued(Credential credential, Instant oldKeysUntil) {
    ObjectNode out =
        AdminApi.JSON
            .createObjectNode()
            .put("client_id", credential.clientId())
            .put("key_id", credential.keyId())
            .put("fingerprint", credential.scramKeys().verifier().fingerprint())
            .put("credential", credential.format());
    if (oldKeysUntil != null) {
      out.put("old_keys_until", oldKeysUntil.toString());
    }
    return out;
  }

  /** {@code keys set}: the fields given change, the others stay. */
  private JsonNode permissions(ApiCall call, String clientId) throws IOException {
    read(clientId);
    PermissionChange change =
        new PermissionChange(
            ApiSupport.text(call, "sessions"),
            ApiSupport.text(call, "rooms"),
            ApiSupport.text(call, "max_file"),
            ApiSupport.text(call, "quota"),
            ApiSupport.text(call, "expires"),
            ApiSupport.text(call, "rotate_every"));
    if (change.isEmpty()) {
      throw new ApiException(
          400,
          "bad-request",
          "nothing to set: give sessions, rooms, max_file, quota, expires or rotate_every");
    }
    java.util.function.UnaryOperator<Permissions> edit;
    Duration every;
    try {
      edit = change.permissions(api.clock);
      every = change.rotation();
    } catch (IllegalArgumentException e) {
      throw new ApiException(400, "bad-request", e.getMessage());
    }
    api.audited(
        call,
        change.event(clientId, edit.apply(keystore().settings().permissionsOf(clientId))),
        () -> {
          keystore().settings().setPermissions(clientId, edit);
          if (change.rotateEvery() != null) {
            keystore().settings().setRotateEvery(clientId, every);
          }
          return null;
        });
    changed.accept(clientId);
    return one(clientId);
  }

  private JsonNode revoke(ApiCall call, String clientId) throws IOException {
    read(clientId);
    int revoked =
        api.audited(
            call,
            AuditEvent.of(AuditEventType.KEYS_REVOKED).with("client_id", clientId),
            () -> keystore().revoke(clientId));
    changed.accept(clientId);
    return AdminApi.JSON
        .createObjectNode()
        .put("client_id", clientId)
        .put("revoked_keys", revoked)
        .put(
            "message",
            "its sessions end within seconds, as every server sharing the keystore sees the change");
  }

  private JsonNode decide(ApiCall call, String clientId, boolean approve) throws IOException {
    read(clientId);
    try {
      keystore().enrollmentTokens().requirePending(clientId);
    } catch (KeyFileException e) {
      throw new ApiException(
          409, "not-pending", "client '" + clientId + "' is not waiting for approval");
    }
    // A change that loses a race with a keys command (approved meanwhile) is a 409 too.
    conflicts(
        () ->
            api.audited(
                call,
                AuditEvent.of(
                        approve ? AuditEventType.ENROLL_APPROVED : AuditEventType.ENROLL_DENIED)
                    .with("client_id", clientId),
                () -> {
                  if (approve) {
                    keystore().enrollmentTokens().approve(clientId);
                  } else {
                    keystore().enrollmentTokens().deny(clientId);
                  }
                  return null;
                }));
    changed.accept(clientId);
    return one(clientId);
  }

  /** A keystore change that refuses (the id exists, was revoked, …) is a 409 saying why. */
  private static <T> T conflicts(KeystoreDirectory.Change<T> change) throws IOException {
    try {
      return change.apply();
    } catch (KeyFileException e) {
      throw new ApiException(409, "conflict", e.getMessage());
    }
  }
}
