package dev.authgate.server.connection;

import dev.authgate.protocol.Reason;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.handshake.ServerHandshake;
import dev.authgate.protocol.handshake.VerifierLookup;
import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditLog;
import dev.authgate.server.chat.ChatRooms;
import dev.authgate.server.defence.PenaltyTable;
import dev.authgate.server.defence.RefusalAudit;
import dev.authgate.server.upload.UploadStore;
import java.io.Closeable;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running authgate server: one listening socket, a virtual thread per accepted connection.
 *
 * <p>Thread-safe. {@link #close()} stops accepting, tells verified sessions, closes every
 * connection and writes {@code server.stopped}; it is idempotent.
 */
public final class AuthServer implements Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(AuthServer.class);
  private static final java.time.Duration REFUSAL_WINDOW = java.time.Duration.ofSeconds(10);

  private final ServerSocket listener;
  private final ServerContext context;
  private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
  private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
  private final CountDownLatch acceptLoopDone = new CountDownLatch(1);
  private volatile boolean closed;

  private AuthServer(ServerSocket listener, ServerContext context) {
    this.listener = listener;
    this.context = context;
  }

  /**
   * Binds and starts accepting.
   *
   * @throws IOException if the address cannot be bound; the message names the address
   */
  public static AuthServer start(
      ServerConfig config, VerifierLookup keys, AuditLog audit, Clock clock, RandomSource random)
      throws IOException {
    UploadStore uploads = UploadStore.open(config.uploads(), clock);
    InetSocketAddress address = new InetSocketAddress(config.bindAddress(), config.port());
    ServerSocket listener = new ServerSocket();
    try {
      listener.setReuseAddress(true);
      listener.bind(address, 128);
    } catch (BindException e) {
      listener.close();
      throw new IOException(
          "cannot listen on " + Addresses.format(address) + ": " + describe(e), e);
    }
    ScheduledExecutorService scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "authgate-deadlines");
              t.setDaemon(true);
              return t;
            });
    AuthServer server =
        new AuthServer(
            listener,
            new ServerContext(
                config,
                keys,
                audit,
                clock,
                random,
                scheduler,
                uploads,
                new PenaltyTable(config.defences().penalties(), clock),
                config.defences().newStartupLimit(),
                new RefusalAudit(audit, clock, REFUSAL_WINDOW),
                new ChatRooms(config.chat().history(), audit, clock)));
    scheduler.scheduleWithFixedDelay(
        server.context.refusals()::flush,
        REFUSAL_WINDOW.toMillis(),
        REFUSAL_WINDOW.toMillis(),
        TimeUnit.MILLISECONDS);
    uploads.sweepPartials();
    long sweepMinutes = Math.max(1, Math.min(10, config.uploads().partialKeep().toMinutes() / 4));
    scheduler.scheduleWithFixedDelay(
        uploads::sweepPartials, sweepMinutes, sweepMinutes, TimeUnit.MINUTES);
    audit.record(
        AuditEvent.of("server.started")
            .with("listen", Addresses.format(listener.getLocalSocketAddress()))
            .with("server_id", config.serverId())
            .with("handshake_timeout_ms", config.handshakeTimeout().toMillis()));
    Thread.ofPlatform().name("authgate-accept").daemon(true).start(server::acceptLoop);
    return server;
  }

  private static String describe(BindException e) {
    String message = String.valueOf(e.getMessage());
    return message.toLowerCase(java.util.Locale.ROOT).contains("in use")
        ? "address already in use"
        : message;
  }

  /** The address actually bound (with the real port if 0 was asked for). */
  public InetSocketAddress address() {
    return (InetSocketAddress) listener.getLocalSocketAddress();
  }

  private void acceptLoop() {
    long sequence = 0;
    String prefix = HexFormat.of().formatHex(context.randomness().bytes(3));
    try {
      while (!closed) {
        Socket socket = listener.accept();
        if (!admit(socket)) {
          continue;
        }
        Connection connection = new Connection(socket, prefix + "-" + (++sequence), context);
        connections.add(connection);
        Thread thread =
            Thread.ofVirtual()
                .name("conn-" + sequence)
                .unstarted(
                    () -> {
                      try {
                        connection.run();
                      } finally {
                        connections.remove(connection);
                        threads.remove(Thread.currentThread());
                      }
                    });
        threads.add(thread);
        thread.start();
      }
    } catch (IOException e) {
      if (!closed) {
        LOG.error("accepting connections failed: {}", e.getMessage());
      }
    } finally {
      acceptLoopDone.countDown();
    }
  }

  /**
   * Closes every verified session whose key was revoked or removed, with a CLOSE that says so.
   * Sessions of keys that merely expired (end of a rotation grace period) run on. Called after the
   * keystore is reloaded.
   */
  public void revalidateSessions() {
    for (Connection connection : connections) {
      ServerHandshake.Accepted accepted = connection.verified();
      if (accepted == null) {
        continue;
      }
      boolean active =
          context
              .keys()
              .find(accepted.clientId(), accepted.keyId())
              .map(r -> r.status() != VerifierLookup.KeyStatus.REVOKED)
              .orElse(false);
      if (!active) {
        connection.revoke();
      }
    }
  }

  /**
   * Decides at accept, before any crypto, whether a connection may begin: a penalised source or a
   * full handshake table gets REFUSED (try later) and is closed at once. An admitted connection
   * holds a handshake slot until its handshake ends.
   */
  private boolean admit(Socket socket) {
    InetAddress source = socket.getInetAddress();
    Reason refusal = null;
    if (context.penalties().refusal(source).isPresent()) {
      refusal = Reason.PENALIZED;
    } else if (!context.startups().tryEnter()) {
      refusal = Reason.OVERLOADED;
    }
    if (refusal == null) {
      return true;
    }
    context
        .refusals()
        .refused(
            refusal,
            context.penalties().source(source),
            Addresses.format(socket.getRemoteSocketAddress()));
    try (socket) {
      socket.setSoLinger(true, 1);
      socket.getOutputStream().write(ServerHandshake.refusalFrame(refusal));
    } catch (IOException ignored) {
      // The refused peer is gone already; nothing else to do.
    }
    return false;
  }

  @Override
  public void close() {
    close(java.time.Duration.ZERO);
  }

  /**
   * Stops the server: stops accepting, closes connections still in their handshake and idle
   * sessions at once (verified ones hear CLOSE "shutting down"), lets uploads in progress finish
   * for up to {@code grace} (after which they are cut and stay resumable), then writes {@code
   * server.stopped}. Idempotent.
   */
  public void close(java.time.Duration grace) {
    if (closed) {
      return;
    }
    closed = true;
    try {
      listener.close();
    } catch (IOException e) {
      LOG.warn("closing the listener failed: {}", e.getMessage());
    }
    long deadline = System.nanoTime() + grace.toNanos();
    while (true) {
      boolean uploading = false;
      for (Connection connection : connections) {
        if (connection.uploading() && System.nanoTime() < deadline) {
          uploading = true;
        } else {
          connection.shutdown();
        }
      }
      if (!uploading) {
        break;
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        connections.forEach(Connection::shutdown);
        break;
      }
    }
    awaitQuietly();
    context.scheduler().shutdownNow();
    context
        .audit()
        .record(
            AuditEvent.of("server.stopped")
                .with("listen", Addresses.format(listener.getLocalSocketAddress())));
  }

  private void awaitQuietly() {
    try {
      acceptLoopDone.await(5, TimeUnit.SECONDS);
      for (Thread thread : threads) {
        thread.join(java.time.Duration.ofSeconds(5));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
