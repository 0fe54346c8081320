package dev.authgate.server.connection;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import dev.authgate.protocol.frame.FrameCodec;
import dev.authgate.protocol.handshake.Refusal;
import dev.authgate.protocol.handshake.ServerHandshake;
import dev.authgate.protocol.handshake.ServerHandshake.Accepted;
import dev.authgate.protocol.handshake.VerifierLookup;
import dev.authgate.protocol.io.WriteDeadline;
import dev.authgate.protocol.keyfile.KeyStatus;
import dev.authgate.protocol.proxy.ProxyHeader;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.keystore.HandshakeKeys;
import dev.authgate.server.keystore.LiveKeystore;
import dev.authgate.server.net.Addresses;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The unverified part of one connection, on its thread: a trusted proxy's PROXY header, then the
 * handshake under the connection's one total deadline, ending in {@code auth.accepted} (the
 * verified identity, admitted) or {@code auth.rejected} (refused, penalised, audited).
 */
final class ConnectionHandshake {
  private static final Logger LOG = LoggerFactory.getLogger(Connection.class);

  private final Connection connection;
  private final ServerContext context;
  private final InputStream in;
  private final WriteDeadline out;
  private final HandshakeDeadline deadline;

  /** Whether a trusted proxy said this is its own connection (LOCAL): a health check, usually. */
  private boolean proxyCheck;

  /** The keystore as of this connection's HELLO (see {@link LiveKeystore#asOfHello}). */
  private VerifierLookup keysAsOfHello;

  ConnectionHandshake(
      Connection connection,
      ServerContext context,
      InputStream in,
      WriteDeadline out,
      HandshakeDeadline deadline) {
    this.connection = connection;
    this.context = context;
    this.in = in;
    this.out = out;
    this.deadline = deadline;
  }

  /**
   * Reads the PROXY header a trusted proxy sends first, under the handshake's deadline, and makes
   * the client it names this connection's peer and source: its penalty and its per-source handshake
   * cap are checked now, as they would have been at accept for a direct connection.
   *
   * @return whether the handshake may begin; if not, the connection was refused and audited, or (a
   *     proxy's health check that closed without a byte) merely logged
   */
  boolean readProxyHeader() {
    try {
      if (ProxyPreamble.endsWithoutAByte(in)) {
        if (deadline.expired()) {
          throw new ProtocolException(Reason.PROXY_HEADER, noHeaderInTime());
        }
        LOG.debug(
            "{}: the proxy {} closed without a byte (a health check)",
            connection.id,
            connection.proxy);
        deadline.disarm();
        return false;
      }
      ProxyHeader header = ProxyHeader.read(in);
      if (header.command() == ProxyHeader.Command.LOCAL) {
        // The proxy's own connection: a health check, which may see HELLO and go, never
        // log in.
        proxyCheck = true;
        return true;
      }
      if (header.source() != null) {
        connection.peer = header.source().getAddress();
        connection.remote = Addresses.format(header.source());
      } else {
        // A relayed client with no TCP/IP address (UNSPEC, a unix-socket frontend): all such
        // clients of one proxy are one source, penalised and capped like any other,
        // under the
        // proxy's address (marked, so the audit tells them from the proxy
        // itself).
        connection.remote = connection.remote + " (no client address)";
      }
      connection.peerIsProxy = false;
      return admitRelayedSource();
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
   * The relayed client's source is checked as a direct connection's is at accept: its penalty, then
   * its per-source handshake slot; a refusal is written, audited (by source) and ends it.
   */
  private boolean admitRelayedSource() {
    String source = context.penalties().source(connection.peer);
    Optional<Duration> penalty = context.penalties().refusal(connection.peer);
    Reason refusal = null;
    Refusal told = null;
    if (penalty.isPresent()) {
      refusal = Reason.PENALIZED;
      told = Refusal.penalized(penalty.get());
    } else if (context.startups().tryEnterSource(source)) {
      connection.sourceSlot = source;
    } else {
      refusal = Reason.OVERLOADED;
      told = new Refusal(Refusal.Code.TRY_LATER);
    }
    if (refusal != null) {
      deadline.disarm();
      sendQuietly(ServerHandshake.refusalFrame(told));
      context.refusals().refused(refusal, true, source, connection.remote, connection.proxy);
      return false;
    }
    return true;
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
      // The peer is gone or the deadline shut the socket; the outcome is audited either
      // way.
    }
  }

  Accepted handshake() {
    long started = System.nanoTime();
    // Taken before HELLO goes out: a client reads its credential only after HELLO arrives.
    VerifierLookup keys =
        context.keys() instanceof LiveKeystore live
            ? live.asOfHello(live.now(), System.nanoTime(), () -> connection.remote)
            : context.keys();
    this.keysAsOfHello = keys;
    ServerHandshake handshake =
        new ServerHandshake(
            keys,
            context.config().serverId(),
            context.hostKeys().get(),
            context.randomness(),
            context.ephemerals());
    boolean beforeAuth = true;
    try {
      out.write(handshake.hello());
      if (proxyCheck && ProxyPreamble.endsWithoutAByte(in) && !deadline.expired()) {
        healthCheck();
        return null;
      }
      if (proxyCheck) {
        throw new ProtocolException(
            Reason.PROXY_HEADER,
            "a LOCAL PROXY header is for the proxy's health checks: no client logs in on it");
      }
      beforeAuth = false;
      ProxyPreamble.refuseHeaderInsteadOfAuth(
          in, connection.proxy, connection.remote, context.config().defences().proxyProtocol());
      Accepted accepted = handshake.onAuth(FrameCodec.read(in, FrameCodec.PRE_AUTH_MAX_PAYLOAD));
      if (!deadline.disarm()) {
        throw new EOFException("deadline passed during verification");
      }
      connection.admit(accepted);
      requireCurrentAcrossServers(accepted);
      recordFirstUse(accepted);
      recordAsked(accepted);
      auditAccepted(accepted, started); // before WELCOME: the record exists once the client is in
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
      connection.leaveHandshake();
    }
    return null;
  }

  private void auditAccepted(Accepted accepted, long started) {
    context
        .audit()
        .record(
            connection
                .event(AuditEventType.AUTH_ACCEPTED)
                .with("client_id", accepted.clientId())
                .with("key_id", accepted.keyId())
                .with("handshake_us", (System.nanoTime() - started) / 1_000)
                .with(
                    "replaced_in_flight",
                    keysAsOfHello instanceof HandshakeKeys h && h.replacedInFlight()
                        ? Boolean.TRUE
                        : null));
  }

  /**
   * A client's first login with a key it made itself: from now on the key it replaced gives a copy
   * away. Written before WELCOME, so no login with the old key can slip in between here; if it
   * cannot be written the login still succeeds and the next one tries again.
   */
  private void recordFirstUse(Accepted accepted) {
    if (context.keys() instanceof LiveKeystore live
        && live.awaitsFirstUse(accepted.clientId(), accepted.keyId())) {
      try {
        live.changed(
            live.enrollments()
                .orElseThrow()
                .selfRotations()
                .firstUse(accepted.clientId(), accepted.keyId(), connection.remote));
      } catch (IOException | RuntimeException e) {
        LOG.warn(
            "{}: cannot record the first use of {}'s key {}: {}",
            connection.id,
            accepted.clientId(),
            accepted.keyId(),
            e.getMessage());
      }
    }
  }

  /**
   * The first time this key is asked to rotate: recorded, so a {@code --rotate-deadline} counts
   * from the ask, never from before it. If it cannot be written the next ask tries again.
   */
  private void recordAsked(Accepted accepted) {
    if (accepted.rotationAsked()
        && context.keys() instanceof LiveKeystore live
        && live.neverAsked(accepted.clientId(), accepted.keyId())) {
      try {
        live.changed(
            live.enrollments()
                .orElseThrow()
                .selfRotations()
                .asked(accepted.clientId(), accepted.keyId()));
      } catch (IOException | RuntimeException e) {
        LOG.warn(
            "{}: cannot record that {}'s key {} was asked to rotate: {}",
            connection.id,
            accepted.clientId(),
            accepted.keyId(),
            e.getMessage());
      }
    }
  }

  /**
   * For a client that rotates its own keys, the key is checked against its file as it is now, not
   * only this server's last look at the directory: another server of a cluster may have seen its
   * new key's first login (so this key is replaced) or locked it a moment ago.
   */
  private void requireCurrentAcrossServers(Accepted accepted) throws ProtocolException {
    if (context.keys() instanceof LiveKeystore live && live.refreshRotating(accepted.clientId())) {
      KeyStatus status =
          keysAsOfHello
              .find(accepted.clientId(), accepted.keyId())
              .map(r -> r.status())
              .orElse(KeyStatus.REVOKED);
      switch (status) {
        case REPLACED, LOCKED ->
            throw new ProtocolException(
                Reason.CLONE_SUSPECTED,
                "a replaced key was used after its successor (seen by another server)",
                accepted.clientId(),
                accepted.keyId(),
                null);
        case REVOKED, EXPIRED, PENDING ->
            throw new ProtocolException(
                status == KeyStatus.EXPIRED
                    ? Reason.EXPIRED_KEY
                    : status == KeyStatus.PENDING ? Reason.PENDING_APPROVAL : Reason.REVOKED_KEY,
                "the key's state changed on another server",
                accepted.clientId(),
                accepted.keyId(),
                null);
        case ACTIVE -> {
          // still this client's key
        }
      }
    }
  }

  /**
   * A replaced key was used: two holders of one credential. The client id is locked (every open
   * session of it ends, here and, through the keystore, on every server sharing it), and the lock
   * is audited once, naming both sources.
   */
  private void lockClone(ProtocolException e) {
    if (!(context.keys() instanceof LiveKeystore live) || e.claimedClientId() == null) {
      return;
    }
    try {
      var lock =
          live.enrollments()
              .orElseThrow()
              .selfRotations()
              .lock(e.claimedClientId(), e.claimedKeyId());
      if (lock == null) {
        return; // locked already: refused like any locked login
      }
      live.changed(lock.keys());
      context
          .audit()
          .record(
              connection
                  .event(AuditEventType.AUTH_CLONE_SUSPECTED)
                  .with("client_id", e.claimedClientId())
                  .with("key_id", e.claimedKeyId())
                  .with(
                      "successor_key_id",
                      lock.successor() == null ? null : lock.successor().keyId())
                  .with(
                      "successor_used_from",
                      lock.successor() == null ? null : lock.successor().usedFrom()));
      connection.keysChanged.accept(e.claimedClientId());
    } catch (IOException | RuntimeException failure) {
      LOG.warn(
          "{}: cannot lock client {} after a replaced key was used: {}",
          connection.id,
          e.claimedClientId(),
          failure.getMessage());
    }
  }

  /**
   * The proxy's own connection (a LOCAL header) ended before AUTH: its health check, which saw the
   * server accept (HAProxy resets it at once). Not a client, so not audited and not penalised.
   */
  private void healthCheck() {
    LOG.debug("{}: health check by the proxy {}", connection.id, connection.proxy);
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
    if (e.reason() == Reason.CLONE_SUSPECTED) {
      lockClone(e);
    }
    if (!connection.peerIsProxy) {
      // A trusted proxy is never penalised for what it relays: that would refuse
      // everyone. The
      // client its header named is, even if it shares the proxy's address.
      context.penalties().penalize(connection.peer, e.reason());
    }
    sendQuietly(ServerHandshake.refusalFrame(e.reason()));
    HandshakeAudit.refused(context.audit(), connection::event, e);
  }
}
