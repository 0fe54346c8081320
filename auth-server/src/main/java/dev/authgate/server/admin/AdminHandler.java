package dev.authgate.server.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.authgate.protocol.keyfile.AdminTokenFile;
import dev.authgate.server.keystore.AdminTokens;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.eclipse.jetty.http.HttpCookie;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
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
    Http.secure(response);
    try {
      if (loopback && !Http.loopbackHost(request.getHeaders().get(HttpHeader.HOST))) {
        // A page of another site whose name was made to point here (DNS rebinding) names itself.
        throw new ApiException(421, "bad-host", "this port answers to 127.0.0.1, localhost or ::1");
      }
      switch (path) {
        case "/healthz" -> Http.write(response, callback, 200, Http.status("ok"));
        case "/readyz" -> {
          boolean up = ready.getAsBoolean();
          Http.write(response, callback, up ? 200 : 503, Http.status(up ? "ready" : "stopping"));
        }
        case "/api/openapi.json" -> {
          response.setStatus(200);
          response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
          response.write(true, ByteBuffer.wrap(openapi), callback);
        }
        case "/api/session" -> session(request, response, callback, method);
        case "/api/audit/stream" -> tail(request, response, callback, method, path);
        default -> route(request, response, callback, method, path);
      }
    } catch (ApiException e) {
      if (e.status == 401) {
        response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer realm=\"authgate\"");
      }
      if (e.retryAfter > 0) {
        response.getHeaders().put(HttpHeader.RETRY_AFTER, Long.toString(e.retryAfter));
      }
      Http.write(response, callback, e.status, Http.error(e.error, e.getMessage()));
    } catch (IOException | RuntimeException e) {
      LOG.warn("admin API: {} {} failed: {}", method, Http.cut(path), e.toString());
      Http.write(response, callback, 500, Http.error("internal", "the server could not answer"));
    }
    return true;
  }

  /** An API route, or one of the console's files. */
  private void route(
      Request request, Response response, Callback callback, String method, String path)
      throws IOException {
    if (path.startsWith("/api/")) {
      Caller caller = authenticate(request, method, path);
      JsonNode answer =
          api.handle(
              new ApiCall(
                  method,
                  path,
                  Http.query(request),
                  Http.body(request, method),
                  caller.token(),
                  caller.source().getHostAddress()));
      Http.write(response, callback, 200, answer);
    } else if (!assets.serve(method, path, response, callback)) {
      throw new ApiException(404, "not-found", "no page " + Http.cut(path));
    }
  }

  /** The live tail, for as long as its caller may still read. */
  private void tail(
      Request request, Response response, Callback callback, String method, String path) {
    Caller caller = authenticate(request, method, path);
    Http.requireGet(method, path);
    String cookie = Http.cookie(request);
    String tokenId = caller.token().tokenId();
    streams.stream(
        request,
        response,
        callback,
        Http.query(request),
        caller,
        () ->
            access.current(tokenId).accepted()
                && (!caller.console() || consoles.find(cookie) != null));
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
    InetAddress source = Http.sourceOf(request);
    refuseIfPenalised(source);
    String authorization = request.getHeaders().get(HttpHeader.AUTHORIZATION);
    String cookie = Http.cookie(request);
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
            Http.query(request).getOrDefault("csrf", java.util.List.of()).stream()
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
    InetAddress source = Http.sourceOf(request);
    String cookie = Http.cookie(request);
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
        Http.write(response, callback, 200, who(current.token(), session.csrf()));
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
        Http.write(response, callback, 200, Http.status("logged-out"));
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
    JsonNode body = Http.body(request, method);
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
    Http.write(response, callback, 200, who(token, opened.csrf()));
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
}
