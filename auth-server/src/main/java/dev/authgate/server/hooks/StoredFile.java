package dev.authgate.server.hooks;

import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditEventType;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** The file a stored event names. */
record StoredFile(String clientId, String name, Path path, long size, String sha256) {
  static StoredFile of(AuditEvent event, Path uploads) {
    Map<String, Object> f = event.fields();
    if (!(f.get("client_id") instanceof String clientId)
        || !(f.get("name") instanceof String name)
        || !(f.get("size") instanceof Number size)
        || !(f.get("sha256") instanceof String sha256)) {
      return null;
    }
    return new StoredFile(
        clientId, name, uploads.resolve(clientId).resolve(name), size.longValue(), sha256);
  }

  AuditEvent event(AuditEventType event) {
    return AuditEvent.of(event).with("client_id", clientId).with("name", name);
  }

  /**
   * The whole environment of a hook: PATH and LANG as the server has them (or a safe PATH), and the
   * event's variables — nothing else of the server's (no AUTHGATE_REDIS password, no credentials
   * directory).
   */
  Map<String, String> environment(Path snapshot, Map<String, String> server) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PATH", server.getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin"));
    if (server.containsKey("LANG")) {
      env.put("LANG", server.get("LANG"));
    }
    env.put("AUTHGATE_CLIENT_ID", clientId);
    env.put("AUTHGATE_NAME", name);
    env.put("AUTHGATE_PATH", snapshot.toString());
    env.put("AUTHGATE_STORED_PATH", path.toString());
    env.put("AUTHGATE_SIZE", Long.toString(size));
    env.put("AUTHGATE_SHA256", sha256);
    return env;
  }
}
