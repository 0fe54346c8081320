package dev.authgate.server.connection;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import dev.authgate.protocol.frame.FrameCodec;
import dev.authgate.protocol.handshake.ServerHandshake.Accepted;
import dev.authgate.protocol.io.WriteDeadline;
import dev.authgate.protocol.keyfile.KeyStatus;
import dev.authgate.protocol.keyfile.Permissions;
import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.keystore.LiveKeystore;
import dev.authgate.server.net.Addresses;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One accepted connection, start to end, on its own virtual thread: the handshake under one total
 * deadline, then the verified session. Ends in exactly one {@code auth.accepted} or {@code
 * auth.rejected} event, and an accepted one also in one {@code session.closed}.
 *
 * <p>Only this connection's own threads (its virtual thread, and its chat writer) write its socket.
 * Other components — revocation, shutdown, the write watchdog, a chat room dropping a slow member —
 * <em>ask</em>: they move {@link ConnectionState} to an ending state and shut down the socket's
 * input (the owner then says why in a CLOSE and ends) or close it, and return at once. They never
 * wait on this connection's locks.
 *
 * <p>{@link #run()} is called once; every other method may be called from any thread.
 */
final class Connection implements Runnable {
  /**
   * How long a dropped chat member may take to read what its socket held before its final notice: a
   * slow reader reads its way there; one that reads nothing holds a socket this long.
   */
  static final long SLOW_CONSUMER_GRACE_MILLIS = 10_000;

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Connection.class);

  private final Socket socket;
  final String id;
  private final ServerContext context;

  /**
   * The trusted proxy this connection came through ({@code ip:port}), or null if it came directly.
   */
  final String proxy;

  /** Told the client id whose keys file this connection changed (a lock): sessions act on it. */
  final java.util.function.Consumer<String> keysChanged;

  /** Where the client is: the socket's peer, or the source a trusted proxy's header named. */
  volatile InetAddress peer;

  volatile String remote;

  /**
   * Whether the peer is the trusted proxy itself: a proxy's connection until its header names a
   * client. Such a peer is never penalised (that would refuse everyone behind it).
   */
  volatile boolean peerIsProxy;

  /** The source whose per-source handshake count this connection holds, or null. */
  String sourceSlot;

  private final AtomicReference<ConnectionState> state =
      new AtomicReference<>(ConnectionState.HANDSHAKE);
  private volatile WriteDeadline out;
  private volatile Accepted verified;
  private volatile Instant verifiedAt;
  private volatile String operatorReason;
  private volatile Session session;
  private boolean holdsHandshakeSlot = true;
  private String holdsSessionSlotOf;

  /**
   * @param source the netblock the connection's handshake slot was taken for, or null for a
   *     connection from a trusted proxy: it holds only a global slot until its PROXY header names
   *     the client's source
   */
  Connection(
      Socket socket,
      String id,
      String source,
      ServerContext context,
      java.util.function.Consumer<String> keysChanged) {
    this.keysChanged = keysChanged;
    this.socket = socket;
    this.id = id;
    this.peer = socket.getInetAddress();
    this.remote = Addresses.format(socket.getRemoteSocketAddress());
    this.proxy = source == null ? remote : null;
    this.peerIsProxy = source == null;
    this.sourceSlot = source;
    this.context = context;
  }

  @Override
  public void run() {
    Instant start = context.clock().instant();
    try (socket) {
      socket.setTcpNoDelay(true);
      InputStream in =
          new BufferedInputStream(socket.getInputStream(), FrameCodec.READ_BUFFER_BYTES);
      out = new WriteDeadline(socket.getOutputStream());
      HandshakeDeadline deadline =
          HandshakeDeadline.arm(socket, context.config().handshakeTimeout(), context.deadlines());
      ConnectionHandshake handshake = new ConnectionHandshake(this, context, in, out, deadline);
      Accepted accepted =
          proxy == null || handshake.readProxyHeader() ? handshake.handshake() : null;
      if (accepted != null) {
        Session verifiedSession = new Session(this, accepted, in, out, context);
        session = verifiedSession;
        verifiedSession.run(start);
      }
    } catch (IOException e) {
      // Setting up or closing the socket failed; every outcome has been audited already.
    } finally {
      leaveHandshake();
      if (holdsSessionSlotOf != null) {
        context.sessions().leave(holdsSessionSlotOf);
      }
    }
  }

  /**
   * The last checks before WELCOME. The verified identity is published first, so a keystore reload
   * from here on finds this connection and revokes it; the key is then looked up again, so a reload
   * that landed between the handshake's lookup and the publication is not missed either.
   */
  void admit(Accepted accepted) throws ProtocolException {
    verified = accepted;
    verifiedAt = context.clock().instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    boolean stillValid =
        context
            .keys()
            .find(accepted.clientId(), accepted.keyId())
            .map(r -> r.status() != KeyStatus.REVOKED && r.status() != KeyStatus.LOCKED)
            .orElse(false);
    if (!stillValid
        || state.get() == ConnectionState.REVOKED
        || state.get() == ConnectionState.LOCKED) {
      throw new ProtocolException(
          Reason.REVOKED_KEY,
          "the key was revoked while the handshake ran",
          accepted.clientId(),
          accepted.keyId(),
          null);
    }
    String full = context.sessions().tryEnter(accepted.clientId());
    if (full != null) {
      throw new ProtocolException(
          Reason.SESSION_LIMIT, full, accepted.clientId(), accepted.keyId(), null);
    }
    holdsSessionSlotOf = accepted.clientId();
  }

  void leaveHandshake() {
    if (holdsHandshakeSlot) {
      holdsHandshakeSlot = false;
      context.startups().leaveGlobal();
      if (sourceSlot != null) {
        context.startups().leaveSource(sourceSlot);
      }
    }
  }

  /** Moves from the handshake to the open session, unless an end was asked for already. */
  boolean open() {
    return state.compareAndSet(ConnectionState.HANDSHAKE, ConnectionState.OPEN);
  }

  /** The current state. */
  ConnectionState state() {
    return state.get();
  }

  /**
   * Asks for the end {@code end}, unless the connection is ending already.
   *
   * @return whether this request decided how the connection ends
   */
  private boolean request(ConnectionState end) {
    while (true) {
      ConnectionState now = state.get();
      if (now.ending()) {
        return false;
      }
      if (state.compareAndSet(now, end)) {
        return true;
      }
    }
  }

  /** Ends a verified session whose key is no longer valid: its owner sends CLOSE (revoked). */
  void revoke() {
    if (request(ConnectionState.REVOKED)) {
      wakeOwner();
    }
  }

  /**
   * Ends a verified session because an operator asked (the admin API); the owner sends CLOSE with
   * {@code reason}. False if it is not a verified session, or is ending already.
   */
  boolean closeByOperator(String reason) {
    if (verified == null) {
      return false;
    }
    operatorReason = reason;
    if (request(ConnectionState.CLOSED_BY_OPERATOR)) {
      wakeOwner();
      return true;
    }
    return false;
  }

  /** The reason an operator gave for closing the session, or null. */
  String operatorReason() {
    return operatorReason;
  }

  /** Ends the session because its client id was locked; the owner sends CLOSE (locked). */
  void lock() {
    if (request(ConnectionState.LOCKED)) {
      wakeOwner();
    }
  }

  /**
   * As the keystore says now: a revoked or removed key's session is revoked, a locked id's is
   * locked, and one whose permissions no longer allow what it does is ended as not permitted. A key
   * that merely expired (the end of a rotation grace period) runs on. Returns at once.
   */
  void revalidate() {
    Accepted accepted = verified;
    if (accepted == null) {
      return;
    }
    // (A key replaced by the client's own rotation keeps its sessions: the machine moved on, and
    // what it started with the old key runs to its end.)
    KeyStatus status =
        context
            .keys()
            .find(accepted.clientId(), accepted.keyId())
            .map(r -> r.status())
            .orElse(
                context.keys() instanceof LiveKeystore live
                        && live.forgottenByRotation(accepted.clientId(), accepted.keyId())
                    ? KeyStatus.REPLACED
                    : KeyStatus.REVOKED);
    if (status == KeyStatus.LOCKED) {
      lock();
    } else if (status == KeyStatus.REVOKED) {
      revoke();
    } else {
      revalidatePermissions(context.keys().permissions(accepted.clientId()));
    }
  }

  /**
   * Ends the session if the client's new permissions no longer allow what it is doing (chatting, or
   * being in its room); the owner sends CLOSE (not permitted). Anything else is checked at the
   * client's next request.
   */
  private void revalidatePermissions(Permissions permissions) {
    Session now = session;
    if (now != null && !now.stillPermitted(permissions) && request(ConnectionState.NOT_PERMITTED)) {
      wakeOwner();
    }
  }

  /**
   * Tells the connection the server is stopping: a verified session hears CLOSE (shutdown) from its
   * owner; a handshake is cut.
   */
  void shutdown() {
    if (!request(ConnectionState.SHUTTING_DOWN)) {
      return;
    }
    if (verified == null) {
      closeSocket();
    } else {
      wakeOwner();
    }
  }

  /** Closes the socket now, whatever the connection is doing: the last resort of shutdown. */
  void forceClose() {
    closeSocket();
  }

  /**
   * Called by the write watchdog: if a write has been blocked longer than {@code limitNanos}, the
   * session ends as {@code write-timeout} (unless it was ending already) and the socket is closed,
   * which fails the blocked write.
   */
  void checkWrite(long limitNanos, long nowNanos) {
    WriteDeadline output = out;
    if (output == null || !output.stalledLongerThan(limitNanos, nowNanos)) {
      return;
    }
    request(ConnectionState.WRITE_TIMEOUT);
    closeSocket();
  }

  /**
   * A chat member that fell behind is cut: its final NOTICE and CLOSE queue behind what its socket
   * already holds, and it gets {@link #SLOW_CONSUMER_GRACE_MILLIS} (at most the write timeout) to
   * read its way to them, then the socket is closed whether or not the peer read them.
   */
  void closeSoonAsTooSlow() {
    if (request(ConnectionState.SLOW_CONSUMER)) {
      long grace =
          Math.min(
              SLOW_CONSUMER_GRACE_MILLIS, context.config().sessions().writeTimeout().toMillis());
      context.deadlines().schedule(this::closeSocket, grace, TimeUnit.MILLISECONDS);
    }
  }

  /**
   * The dropped member's final NOTICE and CLOSE are written: no more output, so the peer reads them
   * and then end-of-stream (not a reset, which could discard them); the session ends when the peer
   * closes, or at the grace's end.
   */
  void finalWordsWritten() {
    try {
      socket.shutdownOutput();
    } catch (IOException e) {
      closeSocket();
    }
  }

  /** Whether a file is being received on this connection right now. */
  boolean uploading() {
    Session current = session;
    return current != null && current.uploading();
  }

  /** This session for the admin API's list, or null while the handshake runs or once it ends. */
  LiveSession describe() {
    Accepted who = verified;
    Instant since = verifiedAt;
    Session now = session;
    if (who == null || since == null || state.get().ending()) {
      return null;
    }
    return new LiveSession(
        id, who.clientId(), who.keyId(), now == null ? "ping" : now.kind(), remote, since);
  }

  /** The verified client and key, or null while the handshake runs. */
  Accepted verified() {
    return verified;
  }

  /** A blocked read returns end-of-stream, so the owner notices the state and ends the session. */
  private void wakeOwner() {
    try {
      socket.shutdownInput();
    } catch (IOException e) {
      closeSocket();
    }
  }

  private void closeSocket() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // Already closed.
    }
  }

  /** Shuts the output down after a final CLOSE, so the peer reads it before end-of-stream. */
  void finishOutput() {
    try {
      socket.shutdownOutput();
    } catch (IOException ignored) {
      // The peer is gone; closing follows.
    }
  }

  /** Sets the read timeout of the verified session (its idle limit). */
  void idleLimit(int millis) throws IOException {
    socket.setSoTimeout(millis);
  }

  AuditEvent event(AuditEventType type) {
    return AuditEvent.of(type).with("conn", id).with("remote", remote).with("proxy", proxy);
  }

  String id() {
    return id;
  }
}
