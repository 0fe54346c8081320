package dev.authgate.server.connection;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import dev.authgate.protocol.frame.FrameCodec;
import dev.authgate.protocol.handshake.ServerHandshake;
import dev.authgate.protocol.handshake.ServerHandshake.Accepted;
import dev.authgate.protocol.io.WriteDeadline;
import dev.authgate.protocol.keyfile.EnrollmentToken;
import dev.authgate.protocol.keyfile.KeyStatus;
import dev.authgate.protocol.keyfile.Permissions;
import dev.authgate.protocol.proxy.ProxyHeader;
import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.net.Addresses;
import java.io.BufferedInputStream;
import java.io.EOFException;
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
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Connection.class);

  private final Socket socket;
  private final String id;
  private final ServerContext context;

  /**
   * The trusted proxy this connection came through ({@code ip:port}), or null if it came directly.
   */
  private final String proxy;

  /** Where the client is: the socket's peer, or the source a trusted proxy's header named. */
  private volatile InetAddress peer;

  private volatile String remote;

  /**
   * Whether the peer is the trusted proxy itself: a proxy's connection until its header names a
   * client. Such a peer is never penalised (that would refuse everyone behind it).
   */
  private volatile boolean peerIsProxy;

  /** Whether a trusted proxy said this is its own connection (LOCAL): a health check, usually. */
  private boolean proxyCheck;

  /** The source whose per-source handshake count this connection holds, or null. */
  private String sourceSlot;

  private final AtomicReference<ConnectionState> state =
      new AtomicReference<>(ConnectionState.HANDSHAKE);
  private volatile WriteDeadline out;
  private volatile Accepted verified;
  private volatile Session session;
  private boolean holdsHandshakeSlot = true;
  private String holdsSessionSlotOf;

  /**
   * @param source the netblock the connection's handshake slot was taken for, or null for a
   *     connection from a trusted proxy: it holds only a global slot until its PROXY header names
   *     the client's source
   */
  Connection(Socket socket, String id, String source, ServerContext context) {
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
      Accepted accepted =
          proxy == null || readProxyHeader(in, deadline) ? handshake(in, deadline) : null;
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
   * Reads the PROXY header a trusted proxy sends first, under the handshake's deadline, and makes
   * the client it names this connection's peer and source: its penalty and its per-source handshake
   * cap are checked now, as they would have been at accept for a direct connection.
   *
   * @return whether the handshake may begin; if not, the connection was refused and audited, or (a
   *     proxy's health check that closed without a byte) merely logged
   */
  private boolean readProxyHeader(InputStream in, HandshakeDeadline deadline) {
    try {
      if (endsWithoutAByte(in)) {
        if (deadline.expired()) {
          throw new ProtocolException(Reason.PROXY_HEADER, noHeaderInTime());
        }
        LOG.debug("{}: the proxy {} closed without a byte (a health check)", id, proxy);
        deadline.disarm();
        return false;
      }
      ProxyHeader header = ProxyHeader.read(in);
      if (header.command() == ProxyHeader.Command.LOCAL) {
        // The proxy's own connection: a health check, which may see HELLO and go, never log in.
        proxyCheck = true;
        return true;
      }
      if (header.source() != null) {
        peer = header.source().getAddress();
        remote = Addresses.format(header.source());
      } else {
        // A relayed client with no TCP/IP address (UNSPEC, a unix-socket frontend): all such
        // clients of one proxy are one source, penalised and capped like any other, under the
        // proxy's address (marked, so the audit tells them from the proxy itself).
        remote = remote + " (no client address)";
      }
      peerIsProxy = false;
      String source = context.penalties().source(peer);
      Reason refusal = null;
      if (context.penalties().refusal(peer).isPresent()) {
        refusal = Reason.PENALIZED;
      } else if (context.startups().tryEnterSource(source)) {
        sourceSlot = source;
      } else {
        refusal = Reason.OVERLOADED;
      }
      if (refusal != null) {
        deadline.disarm();
        sendQuietly(ServerHandshake.refusalFrame(refusal));
        context.refusals().refused(refusal, true, source, remote, proxy);
        return false;
      }
      return true;
    } catch (ProtocolException e) {
      refuse(e);
    } catch (IOException e) {
      refuse(
          new ProtocolException(
              Reason.PROXY_HEADER,
              deadline.expired()
                  ? noHeaderInTime()
                  : "connection closed or failed inside the PROXY header: " + e.getMessage()));
    }
    deadline.disarm();
    return false;
  }

  /**
   * Whether the peer ends the connection (closes or resets it) before sending a byte; if not, the
   * byte stays in the stream. Load balancers' health checks do this.
   */
  private static boolean endsWithoutAByte(InputStream in) throws IOException {
    in.mark(1);
    try {
      if (in.read() < 0) {
        return true;
      }
    } catch (IOException e) {
      if (e instanceof ProtocolException) {
        throw e;
      }
      return true;
    }
    in.reset();
    return false;
  }

  private String noHeaderInTime() {
    return "no complete PROXY header within "
        + context.config().handshakeTimeout().toMillis()
        + " ms";
  }

  private void sendQuietly(byte[] frame) {
    try {
      out.write(frame);
    } catch (IOException ignored) {
      // The peer is gone or the deadline shut the socket; the outcome is audited either way.
    }
  }

  private Accepted handshake(InputStream in, HandshakeDeadline deadline) {
    long started = System.nanoTime();
    ServerHandshake handshake =
        new ServerHandshake(
            context.keys(),
            context.config().serverId(),
            context.hostKeys().get(),
            context.randomness(),
            context.ephemerals());
    boolean beforeAuth = true;
    try {
      out.write(handshake.hello());
      if (proxyCheck && endsWithoutAByte(in) && !deadline.expired()) {
        healthCheck();
        return null;
      }
      if (proxyCheck) {
        throw new ProtocolException(
            Reason.PROXY_HEADER,
            "a LOCAL PROXY header is for the proxy's health checks: no client logs in on it");
      }
      beforeAuth = false;
      refuseProxyHeader(in);
      Accepted accepted = handshake.onAuth(FrameCodec.read(in, FrameCodec.PRE_AUTH_MAX_PAYLOAD));
      if (!deadline.disarm()) {
        throw new EOFException("deadline passed during verification");
      }
      admit(accepted);
      // Audited before WELCOME goes out, so the record exists by the time the client is in.
      context
          .audit()
          .record(
              event(AuditEventType.AUTH_ACCEPTED)
                  .with("client_id", accepted.clientId())
                  .with("key_id", accepted.keyId())
                  .with("handshake_us", (System.nanoTime() - started) / 1_000));
      out.write(accepted.welcomeFrame());
      return accepted;
    } catch (ProtocolException e) {
      refuse(deadline.expired() ? timeout() : e);
    } catch (IOException e) {
      if (proxyCheck && beforeAuth && !deadline.expired()) {
        healthCheck(); // reset by the proxy before HELLO was written
      } else {
        refuse(deadline.expired() ? timeout() : lost(e));
      }
    } finally {
      deadline.disarm();
      leaveHandshake();
    }
    return null;
  }

  /**
   * The proxy's own connection (a LOCAL header) ended before AUTH: its health check, which saw the
   * server accept (HAProxy resets it at once). Not a client, so not audited and not penalised.
   */
  private void healthCheck() {
    LOG.debug("{}: health check by the proxy {}", id, proxy);
  }

  /**
   * A PROXY header where AUTH should be: sent by an address that is not a trusted proxy (it could
   * otherwise claim any source), or a second one. Named in the audit log rather than reported as a
   * malformed frame, since it is usually a load balancer that is not in {@code --trusted-proxies}.
   */
  private void refuseProxyHeader(InputStream in) throws IOException {
    in.mark(ProxyHeader.recognitionLength());
    int first = in.read();
    if (first != '\r' && first != 'P') {
      // Not how a PROXY header starts (nor a frame type): decided on one byte, so a frame that
      // arrives a few bytes at a time is never held back waiting for more.
      in.reset();
      return;
    }
    byte[] start = new byte[ProxyHeader.recognitionLength()];
    start[0] = (byte) first;
    int length = 1 + in.readNBytes(start, 1, start.length - 1);
    in.reset();
    if (!ProxyHeader.looksLikeHeader(start, length)) {
      return;
    }
    String why;
    if (proxy != null) {
      why = "a second PROXY header from the trusted proxy " + proxy;
    } else if (context.config().defences().proxyProtocol()) {
      why = "a PROXY header from " + remote + ", which is not in --trusted-proxies";
    } else {
      why = "a PROXY header, but this server does not take the PROXY protocol (--proxy-protocol)";
    }
    throw new ProtocolException(Reason.PROXY_HEADER, why);
  }

  /**
   * The last checks before WELCOME. The verified identity is published first, so a keystore reload
   * from here on finds this connection and revokes it; the key is then looked up again, so a reload
   * that landed between the handshake's lookup and the publication is not missed either.
   */
  private void admit(Accepted accepted) throws ProtocolException {
    verified = accepted;
    boolean stillValid =
        context
            .keys()
            .find(accepted.clientId(), accepted.keyId())
            .map(r -> r.status() != KeyStatus.REVOKED)
            .orElse(false);
    if (!stillValid || state.get() == ConnectionState.REVOKED) {
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

  private void leaveHandshake() {
    if (holdsHandshakeSlot) {
      holdsHandshakeSlot = false;
      context.startups().leaveGlobal();
      if (sourceSlot != null) {
        context.startups().leaveSource(sourceSlot);
      }
    }
  }

  private ProtocolException timeout() {
    return new ProtocolException(
        Reason.HANDSHAKE_TIMEOUT,
        "handshake not complete within " + context.config().handshakeTimeout().toMillis() + " ms");
  }

  private static ProtocolException lost(IOException e) {
    String detail =
        e instanceof EOFException
            ? "connection closed before AUTH"
            : "connection failed during the handshake: " + e.getMessage();
    return new ProtocolException(Reason.MALFORMED, detail);
  }

  private void refuse(ProtocolException e) {
    if (!peerIsProxy) {
      // A trusted proxy is never penalised for what it relays: that would refuse everyone. The
      // client its header named is, even if it shares the proxy's address.
      context.penalties().penalize(peer, e.reason());
    }
    sendQuietly(ServerHandshake.refusalFrame(e.reason()));
    context
        .audit()
        .record(
            event(AuditEventType.AUTH_REJECTED)
                .with("client_id", e.claimedClientId())
                .with("key_id", e.claimedKeyId())
                .with("reason", e.reason().auditName())
                .with("detail", e.getMessage()));
    String tokenId =
        e.claimedClientId() == null ? null : EnrollmentToken.tokenIdOf(e.claimedClientId());
    if (tokenId != null) {
      // A failed use of an enrollment token, in the enrollment's own words (the auth.rejected
      // above is what penalties, fail2ban and metrics count, like any failed login).
      context
          .audit()
          .record(
              event(AuditEventType.ENROLL_REJECTED)
                  .with("token_id", tokenId)
                  .with(
                      "reason",
                      switch (e.reason()) {
                        case UNKNOWN_CLIENT -> "token-unknown";
                        case BAD_PROOF -> "token-wrong";
                        case REVOKED_KEY -> "token-revoked";
                        case EXPIRED_KEY -> "token-expired-or-used";
                        default -> e.reason().auditName();
                      })
                  .with("detail", e.getMessage()));
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
   * Ends the session if the client's new permissions no longer allow what it is doing (chatting, or
   * being in its room); the owner sends CLOSE (not permitted). Anything else is checked at the
   * client's next request.
   */
  void revalidate(Permissions permissions) {
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
   * A chat member that fell behind is cut: its final notice gets two seconds to be written, then
   * the socket is closed whether or not the peer read it.
   */
  void closeSoonAsTooSlow() {
    if (request(ConnectionState.SLOW_CONSUMER)) {
      context.deadlines().schedule(this::closeSocket, 2, TimeUnit.SECONDS);
    }
  }

  /** Whether a file is being received on this connection right now. */
  boolean uploading() {
    Session current = session;
    return current != null && current.uploading();
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
