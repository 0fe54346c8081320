package dev.authgate.server.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.http.HttpCookie;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;

/**
 * How the admin port reads a request and writes an answer: the body, the query, the cookie, the
 * caller's address, the headers every answer has, and JSON out.
 */
final class Http {
  private Http() {}

  /**
   * The JSON object a request carries: none for a GET or an empty body; otherwise it must be sent
   * as {@code application/json} (415), which a form of another site cannot send, and be one object
   * (400).
   */
  static JsonNode body(Request request, String method) throws IOException {
    String type = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
    boolean some =
        request.getLength() > 0 || request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING);
    if (method.equals("GET") || (!some && type == null)) {
      return AdminApi.JSON.createObjectNode();
    }
    if (type == null || !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
      throw new ApiException(415, "bad-request", "send the body as application/json");
    }
    JsonNode body;
    try {
      body = AdminApi.JSON.readTree(Content.Source.asString(request, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new ApiException(400, "bad-request", "the body is not JSON");
    }
    if (body == null || body.isMissingNode()) {
      return AdminApi.JSON.createObjectNode();
    }
    if (!body.isObject()) {
      throw new ApiException(400, "bad-request", "the body must be one JSON object");
    }
    return body;
  }

  static void requireGet(String method, String path) {
    if (!method.equals("GET")) {
      throw new ApiException(405, "method-not-allowed", path + " takes GET only");
    }
  }

  /** Whether {@code host} (a Host header) names this machine's loopback, with any port. */
  static boolean loopbackHost(String host) {
    if (host == null) {
      return false;
    }
    String name = host.toLowerCase(java.util.Locale.ROOT);
    int colon = name.startsWith("[") ? name.indexOf("]:") + 1 : name.lastIndexOf(':');
    if (colon > 0) {
      name = name.substring(0, colon);
    }
    return name.equals("127.0.0.1") || name.equals("localhost") || name.equals("[::1]");
  }

  static String cookie(Request request) {
    for (HttpCookie c : Request.getCookies(request)) {
      if (c.getName().equals(ConsoleSessions.COOKIE)) {
        return c.getValue();
      }
    }
    return null;
  }

  static InetAddress sourceOf(Request request) {
    try {
      return InetAddress.getByName(Request.getRemoteAddr(request));
    } catch (UnknownHostException e) {
      throw new IllegalStateException("a connection without an address", e);
    }
  }

  static Map<String, List<String>> query(Request request) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    Fields fields;
    try {
      fields = Request.extractQueryParameters(request);
    } catch (RuntimeException e) {
      throw new ApiException(400, "bad-request", "the query string is not valid");
    }
    for (Fields.Field field : fields) {
      out.put(field.getName(), field.getValues());
    }
    return out;
  }

  static ObjectNode status(String status) {
    return AdminApi.JSON.createObjectNode().put("status", status);
  }

  static String cut(String path) {
    return path.length() > 128 ? path.substring(0, 128) : path;
  }

  /** The headers every answer has; the console's page replaces the policy with its own. */
  static void secure(Response response) {
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
    response.getHeaders().put("X-Content-Type-Options", "nosniff");
    response.getHeaders().put("Referrer-Policy", "no-referrer");
    response.getHeaders().put("X-Frame-Options", "DENY");
    response
        .getHeaders()
        .put("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
  }

  static JsonNode error(String error, String message) {
    return AdminApi.JSON.createObjectNode().put("error", error).put("message", message);
  }

  static void write(Response response, Callback callback, int status, JsonNode body) {
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json; charset=utf-8");
    try {
      Content.Sink.write(response, true, AdminApi.JSON.writeValueAsString(body) + "\n", callback);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      callback.failed(e);
    }
  }
}
