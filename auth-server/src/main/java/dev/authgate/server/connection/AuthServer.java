package dev.authgate.server.connection;

import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.crypto.X25519KeyPool;
import dev.authgate.protocol.handshake.VerifierLookup;
import dev.authgate.protocol.identity.HostKeySet;
import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.audit.AuditLog;
import dev.authgate.server.chat.ChatRooms;
import dev.authgate.server.datagram.DatagramEndpoint;
import dev.authgate.server.defence.PenaltyTable;
import dev.authgate.server.defence.RefusalAudit;
import dev.authgate.server.defence.StartupLimit;
import dev.authgate.server.net.Addresses;
import dev.authgate.server.upload.UploadStore;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running authgate server: one listening socket, a virtual thread per accepted connection.
 *
 * <p>Threads (docs/ARCHITECTURE.md has the full table): the accept thread only accepts and decides
 * admission from in-memory tables; a refusal is written, closed and audited on a virtual thread of
 * its own. Timers that must fire on time (handshake and write deadlines) share one scheduler that
 * runs nothing that can block; audit flushing and the upload sweep have executors of their own.
 *
 * <p>Thread-safe. {@link #close()} stops accepting, tells verified sessions, closes every
 * connection and writes {@code server.stopped}; it is idempotent and atomic.
 */
public final class AuthServer implements Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(AuthServer.class);
  private static final Duration REFUSAL_WINDOW = Duration.ofSeconds(10);
  private static final Duration REFUSAL_DEADLINE = Duration.ofSeconds(1);
  private static final Duration CLOSE_NOTICE = Duration.ofSeconds(1);

  /**
   * Ephemeral key pairs made ahead: enough for a burst of connections arriving faster than one core
   * makes pairs (~35 µs each), small enough that the filler's work is done within a couple of
   * milliseconds of a quiet moment.
   */
  private static final int EPHEMERAL_KEYS_AHEAD = 32;

  private final ServerSocket listener;
  private final ServerContext context;
  private final ServerExecutors executors;
  private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
  private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
  private final CountDownLatch acceptLoopDone = new CountDownLatch(1);
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Admission admission;

  private final KeyChangeRelay keyChanges;

  private AuthServer(ServerSocket listener, ServerContext context, ServerExecutors executors) {
    this.listener = listener;
    this.context = context;
    this.executors = executors;
    this.admission =
        new Admission(
            context,
            new AcceptRefusal(executors.deadlines(), context.refusals(), REFUSAL_DEADLINE));
    this.keyChanges =
        new KeyChangeRelay(context.keys(), executors.deadlines(), this::revalidateSessions);
  }

  /**
   * Binds and starts accepting, sharing what {@code shared} shares with other servers. Called by
   * {@code AuthgateServer} only, which builds the rest of the stack around it.
   *
   * @throws IOException if the address cannot be bound; the message names the address
   */
  public static AuthServer start(
      ServerConfig config,
      VerifierLookup keys,
      Supplier<HostKeySet> hostKeys,
      AuditLog audit,
      Clock clock,
      RandomSource random,
      SharedState shared)
      throws IOException {
    UploadStore uploads = UploadStore.open(config.uploads(), clock);
    ServerSocket listener;
    try {
      listener = Admission.bind(config);
    } catch (IOException e) {
      uploads.close();
      throw e;
    }
    DatagramEndpoint datagrams;
    try {
      datagrams = ServerStartup.startDatagrams(config, listener, random);
    } catch (IOException e) {
      listener.close();
      uploads.close();
      throw e;
    }
    ServerExecutors executors = new ServerExecutors();
    ChatRooms rooms = new ChatRooms(config.chat().history(), audit, clock);
    SessionCount sessions = new SessionCount(config.sessions());
    sessions.share(shared.sessions(sessions::perClient));
    rooms.share(shared.chat(rooms));
    StartupLimit startups = config.defences().newStartupLimit();
    AuthServer server =
        new AuthServer(
            listener,
            new ServerContext(
                config,
                keys,
                hostKeys,
                audit,
                clock,
                random,
                new X25519KeyPool(random, EPHEMERAL_KEYS_AHEAD, "authgate-keys"),
                executors.deadlines(),
                uploads,
                shared.penalties(new PenaltyTable(config.defences().penalties(), clock)),
                startups,
                new RefusalAudit(audit, clock, REFUSAL_WINDOW),
                rooms,
                sessions,
                ServerStartup.published(config, keys),
                datagrams,
                new ControlBudgets(clock)),
            executors);
    server.keyChanges.join(shared);
    server.startBackgroundWork();
    DescriptorBudget.warnIfShort(config.sessions().maxSessions(), startups.full());
    ServerStartup.auditStarted(config, listener, hostKeys, audit, datagrams);
    Thread.ofPlatform().name("authgate-accept").daemon(true).start(server::acceptLoop);
    return server;
  }

  private void startBackgroundWork() {
    executors
        .auditFlush()
        .scheduleWithFixedDelay(
            context.refusals()::flush,
            REFUSAL_WINDOW.toMillis(),
            REFUSAL_WINDOW.toMillis(),
            TimeUnit.MILLISECONDS);
    UploadStore uploads = context.uploads();
    uploads.sweepPartials();
    long sweepMinutes =
        Math.max(1, Math.min(10, context.config().uploads().partialKeep().toMinutes() / 4));
    executors
        .uploadSweep()
        .scheduleWithFixedDelay(
            uploads::sweepPartials, sweepMinutes, sweepMinutes, TimeUnit.MINUTES);
    long writeLimit = context.config().sessions().writeTimeout().toNanos();
    long period = Math.max(10_000_000L, Math.min(1_000_000_000L, writeLimit / 4));
    executors
        .deadlines()
        .scheduleAtFixedRate(() -> checkWrites(writeLimit), period, period, TimeUnit.NANOSECONDS);
  }

  private void checkWrites(long limitNanos) {
    long now = System.nanoTime();
    for (Connection connection : connections) {
      try {
        connection.checkWrite(limitNanos, now);
      } catch (RuntimeException e) {
        // A periodic task that throws is never run again: the watchdog must outlive any one
        // connection's trouble.
        LOG.error("write watchdog: checking {} failed: {}", connection.id(), e.toString());
      }
    }
  }

  /** The address actually bound (with the real port if 0 was asked for). */
  public InetSocketAddress address() {
    return (InetSocketAddress) listener.getLocalSocketAddress();
  }

  /** Sources (addresses or netblocks) refused at accept for earlier failures, now. */
  public int penalizedSources() {
    return context.penalties().penalizedSources();
  }

  /** The UDP port taking verified datagrams, or 0 if they are off. */
  public int udpPort() {
    return context.datagrams() == null ? 0 : context.datagrams().port();
  }

  /** Datagrams dropped before any channel's checks (unknown channel id, impossible size). */
  public long datagramDrops() {
    return context.datagrams() == null
        ? 0
        : context.datagrams().unknownChannelDrops() + context.datagrams().badSizeDrops();
  }

  /** Whether the listener still takes connections (false from the start of a stop). */
  public boolean accepting() {
    return !closed.get();
  }

  /** The verified sessions open now, oldest first. */
  public List<LiveSession> liveSessions() {
    return connections.stream()
        .map(Connection::describe)
        .filter(Objects::nonNull)
        .sorted(Comparator.comparing(LiveSession::since).thenComparing(LiveSession::id))
        .toList();
  }

  /**
   * Closes the verified session {@code id} (as the audit log's {@code conn} names it) with {@code
   * reason}, which its client is told; false if there is no such session open.
   */
  public boolean closeSession(String id, String reason) {
    return connections.stream()
        .filter(c -> c.id.equals(id))
        .findFirst()
        .map(c -> c.closeByOperator(reason))
        .orElse(false);
  }

  /** Verified sessions open now. */
  public int verifiedSessions() {
    return context.sessions().total();
  }

  private void acceptLoop() {
    long sequence = 0;
    String prefix = HexFormat.of().formatHex(context.randomness().bytes(3));
    AcceptBackoff backoff =
        new AcceptBackoff(context.audit(), Addresses.format(listener.getLocalSocketAddress()));
    try {
      while (!closed.get()) {
        Socket socket;
        try {
          socket = listener.accept();
        } catch (IOException e) {
          if (closed.get() || listener.isClosed()) {
            break;
          }
          backoff.failed(e);
          continue;
        }
        backoff.succeeded();
        dispatch(socket, prefix + "-" + (++sequence));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      acceptLoopDone.countDown();
    }
  }

  private void dispatch(Socket socket, String id) {
    try {
      String source = context.penalties().source(socket.getInetAddress());
      boolean viaProxy = context.config().defences().trustsProxy(socket.getInetAddress());
      if (admission.admit(socket, source, viaProxy)) {
        run(
            new Connection(socket, id, viaProxy ? null : source, context, keyChanges::changedHere),
            id);
      }
    } catch (RuntimeException e) {
      LOG.error("could not start connection {}: {}", id, e.toString());
      closeQuietly(socket);
    }
  }

  private void run(Connection connection, String id) {
    connections.add(connection);
    Thread thread =
        Thread.ofVirtual()
            .name("conn-" + id)
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
    if (closed.get()) {
      connection.shutdown();
    }
  }

  /**
   * Closes every verified session whose key was revoked or removed, or whose client id was locked,
   * with a CLOSE that says so. Sessions of keys that merely expired (end of a rotation grace
   * period) run on. Called after the keystore is reloaded; returns at once, whatever the sessions'
   * peers are doing.
   */
  public void revalidateSessions() {
    connections.forEach(Connection::revalidate);
  }

  @Override
  public void close() {
    close(Duration.ZERO);
  }

  /**
   * Stops the server: stops accepting, cuts connections still in their handshake and asks idle
   * sessions to end at once (verified ones hear CLOSE "shutting down"), lets uploads in progress
   * finish for up to {@code grace} (after which they are cut and stay resumable), gives the rest a
   * second to say goodbye, closes whatever is left, then writes {@code server.stopped}. Returns
   * within about {@code grace} plus two seconds whatever peers do. Idempotent; of concurrent
   * callers, one stops the server and the others return at once.
   */
  public void close(Duration grace) {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      listener.close();
    } catch (IOException e) {
      LOG.warn("closing the listener failed: {}", e.getMessage());
    }
    long graceEnd = System.nanoTime() + grace.toNanos();
    try {
      while (askToEnd(graceEnd)) {
        Thread.sleep(50);
      }
      awaitThreads(CLOSE_NOTICE);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    connections.forEach(Connection::forceClose);
    try {
      awaitThreads(Duration.ofMillis(500));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    executors.shutdownNow();
    context.ephemerals().close();
    if (context.datagrams() != null) {
      context.datagrams().close();
    }
    try {
      context.uploads().close();
    } catch (IOException e) {
      LOG.warn("closing the uploads directory failed: {}", e.getMessage());
    }
    context
        .audit()
        .record(
            AuditEvent.of(AuditEventType.SERVER_STOPPED)
                .with("listen", Addresses.format(listener.getLocalSocketAddress())));
  }

  /** Asks every connection not uploading within the grace period to end; true if any still is. */
  private boolean askToEnd(long graceEnd) {
    boolean uploading = false;
    for (Connection connection : connections) {
      if (connection.uploading() && System.nanoTime() < graceEnd) {
        uploading = true;
      } else {
        connection.shutdown();
      }
    }
    return uploading;
  }

  private void awaitThreads(Duration max) throws InterruptedException {
    long end = System.nanoTime() + max.toNanos();
    acceptLoopDone.await(max.toNanos(), TimeUnit.NANOSECONDS);
    for (Thread thread : threads) {
      long left = end - System.nanoTime();
      if (left <= 0) {
        return;
      }
      thread.join(Duration.ofNanos(left));
    }
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // Closing is the last resort; nothing is left to do if it fails.
    }
  }
}
