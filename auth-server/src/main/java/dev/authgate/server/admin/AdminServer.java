package dev.authgate.server.admin;

import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.audit.AuditLog;
import dev.authgate.server.connection.LiveSession;
import dev.authgate.server.defence.PenaltyPolicy;
import dev.authgate.server.keystore.KeystoreDirectory;
import dev.authgate.server.keystore.KeystoreSnapshot;
import dev.authgate.server.net.Addresses;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BiPredicate;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.ConnectionMetaData;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.server.handler.SizeLimitHandler;
import org.eclipse.jetty.util.VirtualThreads;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API's and console's HTTP listener ({@code serve --admin}). Jetty reads requests without
 * a thread per connection, so connections that send nothing (or half a header) hold no worker and
 * never block a legitimate request; each is closed after {@link #IDLE_TIMEOUT} of silence (a
 * stalled write too), and past {@link #MAX_CONNECTIONS} new ones wait in the kernel's backlog.
 * Headers are capped at 8 KiB and bodies at 64 KiB. Requests run on virtual threads, so a live tail
 * of the audit log holds no platform thread.
 */
public final class AdminServer implements Closeable {
  private static final Logger LOG = LoggerFactory.getLogger("serve");

  /**
   * How long a connection may stay silent (a half-open one, one between requests, a stalled write).
   */
  static final Duration IDLE_TIMEOUT = Duration.ofSeconds(10);

  /**
   * How long a new connection has to complete its first request: a peer that trickles a header a
   * byte at a time (never silent long enough for the idle timeout) is closed then, so such peers
   * cannot hold the connection cap.
   */
  static final Duration FIRST_REQUEST_DEADLINE = Duration.ofSeconds(10);

  /** Connections held at once; more wait in the backlog. */
  static final int MAX_CONNECTIONS = 512;

  /** The largest header block a request may have. */
  static final int MAX_HEADER_BYTES = 8192;

  /** The largest body a request may have. */
  static final int MAX_BODY_BYTES = 64 * 1024;

  /** Where the OpenAPI document lies among the classes. */
  static final String OPENAPI_RESOURCE = "/dev/authgate/server/admin/openapi.json";

  private final Server jetty;
  private final ServerConnector connector;
  private final AdminHandler handler;

  private AdminServer(Server jetty, ServerConnector connector, AdminHandler handler) {
    this.jetty = jetty;
    this.connector = connector;
    this.handler = handler;
  }

  /**
   * What the API answers from.
   *
   * @param keystore the keystore the server serves
   * @param live the keystore as the server holds it now (the lists and the overview's counts)
   * @param changed told the id of a client this API changed: the server rereads its file and
   *     revalidates its sessions at once, without waiting for the watcher
   * @param sessions the verified sessions open now
   * @param closeSession closes the session of an id with a reason; false if there is none
   * @param feed the audit chain's link that remembers logins and feeds live tails
   * @param audit the whole audit chain (changes and refusals are recorded to it)
   * @param auditLog the audit log file the API queries, or null when the log goes to stdout
   * @param penalties how failed logins are penalised (the machines' policy, in a table of its own)
   * @param penalized how many sources the machine port refuses now
   * @param clock the server's clock
   * @param ready whether the server takes connections ({@code /readyz})
   */
  public record Backing(
      KeystoreDirectory keystore,
      Supplier<KeystoreSnapshot> live,
      Consumer<String> changed,
      Supplier<List<LiveSession>> sessions,
      BiPredicate<String, String> closeSession,
      AdminFeed feed,
      AuditLog audit,
      Path auditLog,
      PenaltyPolicy penalties,
      IntSupplier penalized,
      Clock clock,
      BooleanSupplier ready) {}

  /**
   * Starts listening on {@code address}, over HTTPS with {@code tls} (or plain HTTP with null).
   *
   * @throws IOException if the address cannot be bound
   */
  public static AdminServer start(InetSocketAddress address, AdminTls tls, Backing b)
      throws IOException {
    AdminApi api = new AdminApi(b);
    AdminAccess access =
        new AdminAccess(b.keystore().adminTokens(), b.penalties(), b.audit(), b.clock());
    AdminHandler handler =
        new AdminHandler(
            api,
            access,
            new ConsoleSessions(b.clock(), RandomSource.secure()),
            new ConsoleAssets(),
            b.feed(),
            b.ready(),
            address.getAddress().isLoopbackAddress());
    Server jetty = jetty(address, tls, handler);
    jetty.setStopTimeout(2000);
    try {
      jetty.start();
    } catch (IOException e) {
      stopQuietly(jetty);
      throw e;
    } catch (Exception e) {
      stopQuietly(jetty);
      throw new IOException("the admin API could not start: " + e.getMessage(), e);
    }
    AdminServer started =
        new AdminServer(jetty, (ServerConnector) jetty.getConnectors()[0], handler);
    String listen = Addresses.format(started.address());
    b.audit().record(AuditEvent.of(AuditEventType.ADMIN_STARTED).with("listen", listen));
    LOG.info(
        "admin API and console on {}://{}/ (docs/OPERATIONS.md, \"Admin API and console\"){}",
        tls == null ? "http" : "https",
        listen,
        tls == null ? "" : "; certificate " + tls.subject());
    return started;
  }

  /** Jetty with one connector on {@code address}, its limits, and {@code handler} behind them. */
  private static Server jetty(InetSocketAddress address, AdminTls tls, AdminHandler handler) {
    QueuedThreadPool pool = new QueuedThreadPool(16, 2);
    pool.setName("admin-http");
    pool.setDaemon(true);
    pool.setVirtualThreadsExecutor(VirtualThreads.getNamedVirtualThreadsExecutor("admin-request"));
    Server jetty = new Server(pool);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendXPoweredBy(false);
    http.setRequestHeaderSize(MAX_HEADER_BYTES);
    HttpConnectionFactory h1 = new HttpConnectionFactory(http);
    ServerConnector connector;
    if (tls == null) {
      connector = new ServerConnector(jetty, 1, 1, h1);
    } else {
      SecureRequestCustomizer secure = new SecureRequestCustomizer();
      secure.setSniHostCheck(false); // the browser checks the name; an address works too
      secure.setStsMaxAge(java.time.Duration.ofDays(365).toSeconds());
      http.addCustomizer(secure);
      SslContextFactory.Server ssl = new SslContextFactory.Server();
      ssl.setKeyStore(tls.keyStore());
      ssl.setKeyStorePassword("");
      ssl.setKeyManagerPassword("");
      ssl.setIncludeProtocols("TLSv1.3", "TLSv1.2");
      connector =
          new ServerConnector(jetty, 1, 1, new SslConnectionFactory(ssl, h1.getProtocol()), h1);
    }
    connector.setHost(address.getAddress().getHostAddress());
    connector.setPort(address.getPort());
    connector.setIdleTimeout(IDLE_TIMEOUT.toMillis());
    ServerConnector bound = connector;
    connector.addEventListener(
        new Connection.Listener() {
          @Override
          public void onOpened(Connection opened) {
            if (opened
                instanceof
                ConnectionMetaData) { // an HTTP connection (under TLS too), not the TLS layer
              bound
                  .getScheduler()
                  .schedule(
                      () -> {
                        if (opened.getMessagesIn() == 0) {
                          opened.close();
                        }
                      },
                      FIRST_REQUEST_DEADLINE.toMillis(),
                      TimeUnit.MILLISECONDS);
            }
          }
        });
    jetty.addConnector(connector);
    jetty.addBean(new NetworkConnectionLimit(MAX_CONNECTIONS, jetty));
    SizeLimitHandler limit = new SizeLimitHandler(MAX_BODY_BYTES, -1);
    limit.setHandler(handler);
    jetty.setHandler(limit);
    jetty.setErrorHandler(
        (request, response, callback) -> {
          int status =
              request.getAttribute(ErrorHandler.ERROR_STATUS) instanceof Integer i
                  ? i
                  : response.getStatus();
          Http.secure(response);
          Http.write(
              response,
              callback,
              status,
              Http.error(
                  status == 413 ? "too-large" : status == 431 ? "headers-too-large" : "bad-request",
                  "the request was refused (HTTP " + status + ")"));
          return true;
        });
    return jetty;
  }

  /** The bound address (with the real port if 0 was asked for). */
  public InetSocketAddress address() {
    try {
      return new InetSocketAddress(
          InetAddress.getByName(connector.getHost()), connector.getLocalPort());
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Ends live tails, then stops listening; requests in flight get two seconds. */
  @Override
  public void close() {
    handler.stopping();
    stopQuietly(jetty);
  }

  private static void stopQuietly(Server jetty) {
    try {
      jetty.stop();
    } catch (Exception e) {
      LOG.warn("admin API: stopping failed: {}", e.toString());
    }
  }
}
