package dev.authgate.server.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.authgate.protocol.keyfile.AdminTokenFile;
import java.util.List;
import java.util.Map;

/**
 * One authenticated request as the routes see it.
 *
 * @param method the HTTP method
 * @param path the path, without the query
 * @param query the query parameters, each with its values in order
 * @param body the JSON object the request carried (empty if none)
 * @param token the admin token that made it
 * @param source the caller's address
 */
record ApiCall(
    String method,
    String path,
    Map<String, List<String>> query,
    JsonNode body,
    AdminTokenFile token,
    String source) {
  /** The one value of {@code name}, or null; a parameter given twice is refused. */
  String param(String name) {
    List<String> values = query.getOrDefault(name, List.of());
    if (values.size() > 1) {
      throw new ApiException(400, "bad-request", "give " + name + " once");
    }
    return values.isEmpty() || values.get(0).isEmpty() ? null : values.get(0);
  }
}
