package dev.authgate.server.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.authgate.protocol.keyfile.AdminTokenFile;
import dev.authgate.server.keystore.AdminTokens;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.eclipse.jetty.http.HttpCookie;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every request of the admin port: the probes, the OpenAPI document, the console's files and login,
 * the live tail, and the API's routes. Two ways in: {@code Authorization: Bearer} (for automation),
 * or the console's session cookie, which must come with the session's CSRF token on every change,
 * from the console's own origin. Every answer carries {@code Cache-Control: no-store}, {@code
 * X-Content-Type-Options: nosniff}, {@code Referrer-Policy: no-referrer} and a
 * Content-Security-Policy; there are no CORS headers, so a page of another origin cannot read an
 * answer.
 */
final class AdminHandler extends Handler.Abstract {
  private static final Logger LOG = LoggerFactory.getLogger("serve");

  /** The header the console sends its CSRF token in. */
  static final String CSRF_HEADER = "X-CSRF-Token";

  private final AdminApi api;
  private final AdminAccess access;
  private final ConsoleSessions consoles;
  private final ConsoleAssets assets;
  private final AuditStreamer streams;
  private final BooleanSupplier ready;
  private final boolean loopback;
  private final byte[] openapi;

  AdminHandler(
      AdminApi api,
      AdminAccess access,
      ConsoleSessions consoles,
      ConsoleAssets assets,
      AdminFeed feed,
      BooleanSupplier ready,
      boolean loopback)
      throws IOException {
    this.loopback = loopback;
    this.api = api;
    this.access = access;
    this.consoles = consoles;
    this.assets = assets;
    this.streams = new AuditStreamer(feed);
    this.ready = ready;
    try (InputStream in = AdminHandler.class.getResourceAsStream(AdminServer.OPENAPI_RESOURCE)) {
      if (in == null) {
        throw new IOException(AdminServer.OPENAPI_RESOURCE + " is missing from the jar");
      }
      this.openapi = in.readAllBytes();
    }
  }

  /** Ends the live tails: the server is stopping. */
  void stopping() {
    streams.stopping();
  }

  /** Who made a request, and from where. */
  record Caller(AdminTokenFile token, InetAddress source, boolean console) {}

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    String path = Request.getPathInContext(request);
    String method = request.getMethod();
    secure(response);
    try {
      if (loopback && !loopbackHost(request.getHeaders().get(HttpHeader.HOST))) {
        // A page of another site whose name was made to point here (DNS rebinding) names itself.
        throw new ApiException(421, "bad-host", "this port answers to 127.0.0.1, localhost or ::1");
      }
      switch (path) {
        case "/healthz" -> write(response, callback, 200, status("ok"));
        case "/readyz" -> {
          boolean up = ready.getAsBoolean();
          write(response, callback, up ? 200 : 503, status(up ? "ready" : "stopping"));
        }
        case "/api/openapi.json" -> {
          response.setStatus(200);
          response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
          response.write(true, ByteBuffer.wrap(openapi), callback);
        }
        case "/api/session" -> session(request, response, callback, method);
        case "/api/audit/stream" -> {
          Caller caller = authenticate(request, method, path);
          requireGet(method, path);
          String cookie = cookie(request);
          String tokenId = caller.token().tokenId();
          streams.stream(
              request,
              response,
              callback,
              query(request),
              caller,
              () ->
                  access.current(tokenId).accepted()
                      && (!caller.console() || consoles.find(cookie) != null));
        }
        default -> {
          if (path.startsWith("/api/")) {
            Caller caller = authenticate(request, method, path);
            JsonNode answer =
                api.handle(
                    new ApiCall(
                        method,
                        path,
                        query(request),
                        body(request, method),
                        caller.token(),
                        caller.source().getHostAddress()));
            write(response, callback, 200, answer);
          } else if (!assets.serve(method, path, response, callback)) {
            throw new ApiException(404, "not-found", "no page " + cut(path));
          }
        }
      }
    } catch (ApiException e) {
      if (e.status == 401) {
        response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer realm=\"authgate\"");
      }
      if (e.retryAfter > 0) {
        response.getHeaders().put(HttpHeader.RETRY_AFTER, Long.toString(e.retryAfter));
      }
      write(response, callback, e.status, error(e.error, e.getMessage()));
    } catch (IOException | RuntimeException e) {
      LOG.warn("admin API: {} {} failed: {}", method, cut(path), e.toString());
      write(response, callback, 500, error("internal", "the server could not answer"));
    }
    return true;
  }

  /**
   * The caller of an API request: an admin token (Bearer) or a console session (cookie; a change
   * must also come from the console's origin with its CSRF token). Refusals are audited, and failed
   * credentials penalised.
   */
  private Caller authenticate(Request request, String method, String path) {
    return authenticate(request, method, path, true);
  }

  /**
   * As above; {@code changes} false for a request that changes nothing a read token may not (a
   * logout), which skips the scope check but not the console's origin and CSRF checks.
   */
  private Caller authenticate(Request request, String method, String path, boolean changes) {
    InetAddress source = sourceOf(request);
    refuseIfPenalised(source);
    String authorization = request.getHeaders().get(HttpHeader.AUTHORIZATION);
    String cookie = cookie(request);
    AdminTokenFile token;
    boolean console = false;
    if (authorization != null || cookie == null) {
      token = access.check(authorization, source, method, path).token();
    } else {
      ConsoleSessions.Session session = consoles.find(cookie);
      if (session == null) {
        throw access.refuse(source, "bad-session", method, path, null, null);
      }
      // The cookie alone is not enough: browsers send it to every port of this host, so a page
      // on another port could have it. The CSRF token lives only in this origin's page storage,
      // and must come with every request (the live tail, which cannot set a header, sends it in
      // its query).
      String sent = request.getHeaders().get(CSRF_HEADER);
      if (sent == null && path.equals("/api/audit/stream")) {
        sent =
            query(request).getOrDefault("csrf", java.util.List.of()).stream()
                .findFirst()
                .orElse(null);
      }
      if (!ConsoleSessions.csrfMatches(session, sent)) {
        throw access.refuse(source, "csrf", method, path, null, session.tokenId());
      }
      AdminTokens.Check current = access.current(session.tokenId());
      if (!current.accepted()) {
        consoles.close(cookie);
        throw access.refuse(
            source, current.refusal().label(), method, path, current.token(), session.tokenId());
      }
      token = current.token();
      console = true;
      if (!method.equals("GET")) {
        requireSameOrigin(request, source, method, path, token);
      }
    }
    if (changes && !method.equals("GET") && token.scope() != AdminTokenFile.Scope.WRITE) {
      throw access.forbid(source, "read-only-token", method, path, token);
    }
    return new Caller(token, source, console);
  }

  private void refuseIfPenalised(InetAddress source) {
    Optional<Duration> wait = access.penalty(source);
    if (wait.isPresent()) {
      long seconds = Math.max(1, wait.get().toSeconds() + 1);
      throw new ApiException(
          429,
          "penalized",
          "too many failed logins from this address; retry in " + seconds + " s",
          seconds);
    }
  }

  /**
   * A change with the console's cookie must come from the console's own page: a browser says where
   * a request comes from ({@code Sec-Fetch-Site}, {@code Origin}), and a page of another site
   * cannot hide it; a change that says neither is refused too.
   */
  private void requireSameOrigin(
      Request request, InetAddress source, String method, String path, AdminTokenFile token) {
    String site = request.getHeaders().get("Sec-Fetch-Site");
    String origin = request.getHeaders().get(HttpHeader.ORIGIN);
    String host = request.getHeaders().get(HttpHeader.HOST);
    String own = (request.isSecure() ? "https://" : "http://") + host;
    boolean sameSite = site == null || site.equals("same-origin");
    boolean sameOrigin = origin == null ? site != null : origin.equals(own);
    if (!sameSite || !sameOrigin) {
      throw access.forbid(source, "cross-site", method, path, token);
    }
  }

  /** {@code /api/session}: the console's login (POST), who is logged in (GET), logout (DELETE). */
  private void session(Request request, Response response, Callback callback, String method)
      throws IOException {
    String path = "/api/session";
    InetAddress source = sourceOf(request);
    String cookie = cookie(request);
    switch (method) {
      case "GET" -> {
        ConsoleSessions.Session session = cookie == null ? null : consoles.find(cookie);
        AdminTokens.Check current =
            session == null
                    || !ConsoleSessions.csrfMatches(session, request.getHeaders().get(CSRF_HEADER))
                ? null
                : access.current(session.tokenId());
        if (current == null || !current.accepted()) {
          // Not audited: a page load asks this before anyone has logged in.
          throw new ApiException(401, "no-session", "log in with an admin token");
        }
        write(response, callback, 200, who(current.token(), session.csrf()));
      }
      case "POST" -> login(request, response, callback, source);
      case "DELETE" -> {
        Caller caller = authenticate(request, method, path, false);
        if (caller.console()) {
          consoles.close(cookie);
        }
        Response.addCookie(
            response,
            HttpCookie.build(ConsoleSessions.COOKIE, "")
                .path("/")
                .httpOnly(true)
                .sameSite(HttpCookie.SameSite.STRICT)
                .maxAge(0)
                .build());
        write(response, callback, 200, status("logged-out"));
      }
      default ->
          throw new ApiException(405, "method-not-allowed", path + " takes GET, POST or DELETE");
    }
  }

  /**
   * The console's login: an admin token (checked, audited and penalised as a Bearer one) for a
   * session cookie and a CSRF token; only from the console's own origin, and only as JSON, which a
   * form of another site cannot send.
   */
  private void login(Request request, Response response, Callback callback, InetAddress source)
      throws IOException {
    String method = "POST";
    String path = "/api/session";
    refuseIfPenalised(source);
    requireSameOrigin(request, source, method, path, null);
    JsonNode body = body(request, method);
    String presented = body.path("token").asText(null);
    AdminTokenFile token =
        access
            .check(presented == null ? null : "Bearer " + presented, source, method, path)
            .token();
    ConsoleSessions.Opened opened = consoles.open(token);
    access.loggedIn(token, source);
    Response.addCookie(
        response,
        HttpCookie.build(ConsoleSessions.COOKIE, opened.cookie())
            .path("/")
            .httpOnly(true)
            .secure(request.isSecure())
            .sameSite(HttpCookie.SameSite.STRICT)
            .build());
    write(response, callback, 200, who(token, opened.csrf()));
  }

  /**
   * The JSON object a request carries: none for a GET or an empty body; otherwise it must be sent
   * as {@code application/json} (415), which a form of another site cannot send, and be one object
   * (400).
   */
  private static JsonNode body(Request request, String method) throws IOException {
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

  private static ObjectNode who(AdminTokenFile token, String csrf) {
    return AdminApi.JSON
        .createObjectNode()
        .put("name", token.name())
        .put("token_id", token.tokenId())
        .put("scope", token.scope().label())
        .put("expires", token.expires().toString())
        .put("csrf", csrf);
  }

  private static void requireGet(String method, String path) {
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

  private static String cookie(Request request) {
    for (HttpCookie c : Request.getCookies(request)) {
      if (c.getName().equals(ConsoleSessions.COOKIE)) {
        return c.getValue();
      }
    }
    return null;
  }

  private static InetAddress sourceOf(Request request) {
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

  private static ObjectNode status(String status) {
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
