package dev.authgate.server.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.authgate.protocol.keyfile.AdminTokenFile;
import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.audit.AuditLog;
import dev.authgate.server.connection.LiveSession;
import dev.authgate.server.defence.PenaltyPolicy;
import dev.authgate.server.keystore.AdminTokens;
import dev.authgate.server.keystore.KeystoreDirectory;
import dev.authgate.server.net.Addresses;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.server.handler.SizeLimitHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API's HTTP listener ({@code serve --admin}). Jetty reads requests without a thread per
 * connection, so connections that send nothing (or half a header) hold no worker and never block a
 * legitimate request; each is closed after {@link #IDLE_TIMEOUT} of silence, and past {@link
 * #MAX_CONNECTIONS} new ones wait in the kernel's backlog. Headers are capped at 8 KiB and bodies
 * at 64 KiB. Every answer is JSON with {@code Cache-Control: no-store}, {@code
 * X-Content-Type-Options: nosniff} and a Content-Security-Policy that allows nothing; there are no
 * CORS headers, so a page of another origin cannot read an answer.
 */
public final class AdminServer implements Closeable {
  private static final Logger LOG = LoggerFactory.getLogger("serve");

  /** How long a connection may stay silent (a half-open one, or one between requests). */
  static final Duration IDLE_TIMEOUT = Duration.ofSeconds(10);

  /** Connections held at once; more wait in the backlog. */
  static final int MAX_CONNECTIONS = 512;

  /** The largest header block and body a request may have. */
  static final int MAX_HEADER_BYTES = 8192;

  static final int MAX_BODY_BYTES = 64 * 1024;

  /** Where the OpenAPI document lies among the classes. */
  static final String OPENAPI_RESOURCE = "/dev/authgate/server/admin/openapi.json";

  private final Server jetty;
  private final ServerConnector connector;

  private AdminServer(Server jetty, ServerConnector connector) {
    this.jetty = jetty;
    this.connector = connector;
  }

  /**
   * What the API answers from.
   *
   * @param keystore the keystore the server serves
   * @param sessions the verified sessions open now
   * @param lastSeen when each client was last verified here
   * @param audit the whole audit chain (changes and refusals are recorded to it)
   * @param auditLog the audit log file the API queries, or null when the log goes to stdout
   * @param penalties how failed logins are penalised (the machines' policy, in a table of its own)
   * @param clock the server's clock
   * @param ready whether the server takes connections ({@code /readyz})
   */
  public record Backing(
      KeystoreDirectory keystore,
      Supplier<List<LiveSession>> sessions,
      LastSeen lastSeen,
      AuditLog audit,
      Path auditLog,
      PenaltyPolicy penalties,
      Clock clock,
      BooleanSupplier ready) {}

  /**
   * Starts listening on {@code address}.
   *
   * @throws IOException if the address cannot be bound
   */
  public static AdminServer start(InetSocketAddress address, Backing b) throws IOException {
    AdminApi api =
        new AdminApi(b.keystore(), b.sessions(), b.lastSeen(), b.audit(), b.auditLog(), b.clock());
    AdminAccess access =
        new AdminAccess(b.keystore().adminTokens(), b.penalties(), b.audit(), b.clock());
    BooleanSupplier ready = b.ready();
    AuditLog audit = b.audit();
    QueuedThreadPool pool = new QueuedThreadPool(16, 2);
    pool.setName("admin-http");
    pool.setDaemon(true);
    Server jetty = new Server(pool);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendXPoweredBy(false);
    http.setRequestHeaderSize(MAX_HEADER_BYTES);
    ServerConnector connector = new ServerConnector(jetty, 1, 1, new HttpConnectionFactory(http));
    connector.setHost(address.getAddress().getHostAddress());
    connector.setPort(address.getPort());
    connector.setIdleTimeout(IDLE_TIMEOUT.toMillis());
    jetty.addConnector(connector);
    jetty.addBean(new NetworkConnectionLimit(MAX_CONNECTIONS, jetty));
    SizeLimitHandler limit = new SizeLimitHandler(MAX_BODY_BYTES, -1);
    limit.setHandler(new Routes(api, access, ready));
    jetty.setHandler(limit);
    jetty.setErrorHandler(
        (request, response, callback) -> {
          int status =
              request.getAttribute(ErrorHandler.ERROR_STATUS) instanceof Integer i
                  ? i
                  : response.getStatus();
          write(
              response,
              callback,
              status,
              error(
                  status == 413 ? "too-large" : status == 431 ? "headers-too-large" : "bad-request",
                  "the request was refused (HTTP " + status + ")"));
          return true;
        });
    try {
      jetty.start();
    } catch (IOException e) {
      stopQuietly(jetty);
      throw e;
    } catch (Exception e) {
      stopQuietly(jetty);
      throw new IOException("the admin API could not start: " + e.getMessage(), e);
    }
    AdminServer started = new AdminServer(jetty, connector);
    audit.record(
        AuditEvent.of(AuditEventType.ADMIN_STARTED)
            .with("listen", Addresses.format(started.address())));
    LOG.info(
        "admin API on http://{}/ (docs/OPERATIONS.md, \"Admin API\")",
        Addresses.format(started.address()));
    return started;
  }

  /** The bound address (with the real port if 0 was asked for). */
  public InetSocketAddress address() {
    return new InetSocketAddress(addressOf(connector.getHost()), connector.getLocalPort());
  }

  private static InetAddress addressOf(String host) {
    try {
      return InetAddress.getByName(host);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    stopQuietly(jetty);
  }

  private static void stopQuietly(Server jetty) {
    try {
      jetty.setStopTimeout(2000);
      jetty.stop();
    } catch (Exception e) {
      LOG.warn("admin API: stopping failed: {}", e.toString());
    }
  }

  /** The handler: health, the OpenAPI document, and the authenticated routes. */
  private static final class Routes extends Handler.Abstract {
    private final AdminApi api;
    private final AdminAccess access;
    private final BooleanSupplier ready;
    private final byte[] openapi;

    Routes(AdminApi api, AdminAccess access, BooleanSupplier ready) throws IOException {
      this.api = api;
      this.access = access;
      this.ready = ready;
      try (InputStream in = AdminServer.class.getResourceAsStream(OPENAPI_RESOURCE)) {
        if (in == null) {
          throw new IOException(OPENAPI_RESOURCE + " is missing from the jar");
        }
        this.openapi = in.readAllBytes();
      }
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      String path = Request.getPathInContext(request);
      String method = request.getMethod();
      secure(response);
      try {
        switch (path) {
          case "/healthz" ->
              write(response, callback, 200, AdminApi.JSON.createObjectNode().put("status", "ok"));
          case "/readyz" -> {
            boolean up = ready.getAsBoolean();
            write(
                response,
                callback,
                up ? 200 : 503,
                AdminApi.JSON.createObjectNode().put("status", up ? "ready" : "stopping"));
          }
          case "/api/openapi.json" -> {
            response.setStatus(200);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            response.write(true, java.nio.ByteBuffer.wrap(openapi), callback);
          }
          default -> api(request, response, callback, method, path);
        }
      } catch (ApiException e) {
        if (e.status == 401) {
          response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer realm=\"authgate\"");
        }
        write(response, callback, e.status, error(e.error, e.getMessage()));
      } catch (IOException | RuntimeException e) {
        LOG.warn("admin API: {} {} failed: {}", method, path, e.toString());
        write(
            response,
            callback,
            500,
            error("internal", "the server could not answer: " + e.getMessage()));
      }
      return true;
    }

    private void api(
        Request request, Response response, Callback callback, String method, String path)
        throws IOException {
      InetAddress source = addressOf(Request.getRemoteAddr(request));
      Optional<Duration> wait = access.penalty(source);
      if (wait.isPresent()) {
        long seconds = Math.max(1, wait.get().toSeconds() + 1);
        response.getHeaders().put(HttpHeader.RETRY_AFTER, Long.toString(seconds));
        throw new ApiException(
            429,
            "penalized",
            "too many failed logins from this address; retry in " + seconds + " s");
      }
      AdminTokens.Check check =
          access.check(request.getHeaders().get(HttpHeader.AUTHORIZATION), source, method, path);
      if (!method.equals("GET") && check.token().scope() != AdminTokenFile.Scope.WRITE) {
        access.refusedScope(check, source, method, path);
        throw new ApiException(403, "read-only-token", "this token may only read (--scope read)");
      }
      JsonNode answer =
          api.handle(
              new ApiCall(method, path, query(request), check.token(), source.getHostAddress()));
      write(response, callback, 200, answer);
    }

    private static Map<String, List<String>> query(Request request) {
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
  }

  private static void secure(Response response) {
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
    response.getHeaders().put("X-Content-Type-Options", "nosniff");
    response
        .getHeaders()
        .put("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
    response.getHeaders().put("Referrer-Policy", "no-referrer");
  }

  static JsonNode error(String error, String message) {
    return AdminApi.JSON.createObjectNode().put("error", error).put("message", message);
  }

  private static void write(Response response, Callback callback, int status, JsonNode body) {
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json; charset=utf-8");
    try {
      Content.Sink.write(response, true, AdminApi.JSON.writeValueAsString(body) + "\n", callback);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      callback.failed(e);
    }
  }
}
