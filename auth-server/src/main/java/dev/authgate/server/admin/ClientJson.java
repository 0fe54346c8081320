package dev.authgate.server.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.authgate.protocol.keyfile.ClientKeys;
import dev.authgate.protocol.keyfile.KeyEntry;
import dev.authgate.protocol.keyfile.Permissions;
import dev.authgate.server.keystore.KeyStates;
import java.time.Instant;
import java.util.Map;

/** Clients, keys and permissions as JSON: the shapes {@code keys list --json} and the API share. */
public final class ClientJson {
  private ClientJson() {}

  /**
   * Writes what a client may do into {@code access}: {@code sessions} (the kinds it may open),
   * {@code rooms} (null: every room), {@code max_file} and {@code quota} in bytes and {@code
   * expires} (null: the server's own limits, or never).
   */
  public static ObjectNode access(ObjectNode access, Permissions p) {
    ArrayNode sessions = access.putArray("sessions");
    for (Permissions.SessionKind kind : Permissions.SessionKind.values()) {
      if (p.allows(kind)) {
        sessions.add(kind.label());
      }
    }
    if (p.rooms() == null) {
      access.putNull("rooms");
    } else {
      p.rooms().forEach(access.putArray("rooms")::add);
    }
    access.put("max_file", p.maxFileSize());
    access.put("quota", p.quota());
    access.put("expires", p.expires() == null ? null : p.expires().toString());
    return access;
  }

  /**
   * One client for the API: its state, its keys (id, state, created, until, fingerprint), what it
   * may do, when it was last verified by this server (null: not since the server started) and how
   * many sessions it has open here.
   */
  static ObjectNode client(
      ObjectNode out, ClientKeys client, Instant now, Instant lastSeen, int sessions) {
    out.put("client_id", client.clientId());
    out.put("state", KeyStates.clientState(client, now));
    out.put("last_seen", lastSeen == null ? null : lastSeen.toString());
    out.put("sessions", sessions);
    ArrayNode keys = out.putArray("keys");
    for (KeyEntry key : client.keys()) {
      Instant until = KeyStates.until(client, key);
      keys.addObject()
          .put("key_id", key.keyId())
          .put("state", KeyStates.state(client, key, now))
          .put("created", key.created().toString())
          .put("until", until == null ? null : until.toString())
          .put("fingerprint", key.verifier().fingerprint());
    }
    access(out.putObject("access"), client.permissions());
    return out;
  }

  /** Counts per client id of {@code sessions}. */
  static Map<String, Integer> countByClient(java.util.List<String> clientIds) {
    Map<String, Integer> counts = new java.util.HashMap<>();
    clientIds.forEach(id -> counts.merge(id, 1, Integer::sum));
    return counts;
  }
}
