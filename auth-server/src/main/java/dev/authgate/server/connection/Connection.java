package dev.authgate.server.connection;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import dev.authgate.protocol.frame.FrameCodec;
import dev.authgate.protocol.handshake.ServerHandshake;
import dev.authgate.protocol.handshake.ServerHandshake.Accepted;
import dev.authgate.protocol.session.ChatMessage;
import dev.authgate.protocol.session.SecureChannel;
import dev.authgate.protocol.session.SessionMessage;
import dev.authgate.protocol.session.SessionMessage.Close;
import dev.authgate.protocol.session.SessionMessage.Ping;
import dev.authgate.protocol.session.SessionMessage.Pong;
import dev.authgate.protocol.session.UploadBegin;
import dev.authgate.protocol.session.UploadData;
import dev.authgate.protocol.session.UploadEnd;
import dev.authgate.protocol.session.UploadReady;
import dev.authgate.protocol.session.UploadResult;
import dev.authgate.server.audit.AuditEvent;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.time.Instant;

/**
 * One accepted connection, start to end, on its own virtual thread: the handshake under one total
 * deadline, then the verified session. Ends in exactly one {@code auth.accepted} or {@code
 * auth.rejected} event, and an accepted one also in one {@code session.closed}.
 *
 * <p>{@link #run()} is called once; {@link #shutdown()} may be called from another thread.
 */
final class Connection implements Runnable {
  private final Socket socket;
  private final String id;
  private final String remote;
  private final ServerContext context;
  private volatile SecureChannel channel;
  private volatile Accepted verified;
  private volatile UploadSession uploadSession;
  private volatile boolean revoked;
  private volatile boolean tooSlow;
  private boolean holdsHandshakeSlot = true;

  Connection(Socket socket, String id, ServerContext context) {
    this.socket = socket;
    this.id = id;
    this.remote = Addresses.format(socket.getRemoteSocketAddress());
    this.context = context;
  }

  @Override
  public void run() {
    Instant start = context.clock().instant();
    try (socket) {
      socket.setTcpNoDelay(true);
      InputStream in = new BufferedInputStream(socket.getInputStream());
      OutputStream out = socket.getOutputStream();
      Accepted accepted = handshake(in, out);
      if (accepted != null) {
        session(accepted, in, out, start);
      }
    } catch (IOException e) {
      // Closing the socket failed; every outcome has been audited already.
    } finally {
      leaveHandshake();
    }
  }

  private Accepted handshake(InputStream in, OutputStream out) {
    HandshakeDeadline deadline =
        HandshakeDeadline.arm(socket, context.config().handshakeTimeout(), context.scheduler());
    ServerHandshake handshake =
        new ServerHandshake(context.keys(), context.config().serverId(), context.randomness());
    try {
      out.write(handshake.hello());
      Accepted accepted = handshake.onAuth(FrameCodec.read(in, FrameCodec.PRE_AUTH_MAX_PAYLOAD));
      if (!deadline.disarm()) {
        throw new EOFException("deadline passed during verification");
      }
      // Audited before WELCOME goes out, so the record exists by the time the client is in.
      context
          .audit()
          .record(
              event("auth.accepted")
                  .with("client_id", accepted.clientId())
                  .with("key_id", accepted.keyId()));
      out.write(accepted.welcomeFrame());
      verified = accepted;
      return accepted;
    } catch (ProtocolException e) {
      refuse(deadline.expired() ? timeout() : e, out);
    } catch (IOException e) {
      refuse(deadline.expired() ? timeout() : lost(e), out);
    } finally {
      deadline.disarm();
      leaveHandshake();
    }
    return null;
  }

  private void leaveHandshake() {
    if (holdsHandshakeSlot) {
      holdsHandshakeSlot = false;
      context.startups().leave();
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

  private void refuse(ProtocolException e, OutputStream out) {
    context.penalties().penalize(socket.getInetAddress(), e.reason());
    try {
      out.write(ServerHandshake.refusalFrame(e.reason()));
    } catch (IOException ignored) {
      // The peer is gone or the deadline shut the socket; the refusal is audited either way.
    }
    context
        .audit()
        .record(
            event("auth.rejected")
                .with("client_id", e.claimedClientId())
                .with("key_id", e.claimedKeyId())
                .with("reason", e.reason().auditName())
                .with("detail", e.getMessage()));
  }

  private void session(Accepted accepted, InputStream in, OutputStream out, Instant start) {
    SecureChannel session = SecureChannel.server(in, out, accepted.keys());
    channel = session;
    UploadSession uploads =
        new UploadSession(
            context.uploads(),
            accepted.clientId(),
            session,
            name -> event(name).with("client_id", accepted.clientId()),
            context.audit()::record,
            context.clock());
    uploadSession = uploads;
    ChatSession chat =
        new ChatSession(
            context.chat(),
            accepted.clientId(),
            id,
            session,
            context.config().chat().queue(),
            this::closeSoonAsTooSlow);
    String outcome;
    String detail = null;
    try {
      socket.setSoTimeout(
          (int) Math.min(Integer.MAX_VALUE, context.config().idleTimeout().toMillis()));
      outcome = serve(session, uploads, chat);
    } catch (SocketTimeoutException e) {
      outcome = "idle-timeout";
      sendClose(
          session, Close.IDLE, "idle for " + context.config().idleTimeout().toSeconds() + " s");
    } catch (EOFException e) {
      outcome = "connection-lost";
      detail = "the client closed without CLOSE";
    } catch (ProtocolException e) {
      outcome = e.reason().auditName();
      detail = e.getMessage();
      sendClose(session, Close.PROTOCOL_ERROR, e.reason().auditName());
    } catch (IOException e) {
      outcome =
          tooSlow
              ? "slow-consumer"
              : revoked ? "revoked" : socket.isClosed() ? "server-shutdown" : "connection-lost";
      detail = e.getMessage();
    }
    uploads.connectionEnded(outcome);
    chat.connectionEnded(outcome);
    Duration duration = Duration.between(start, context.clock().instant());
    context
        .audit()
        .record(
            event("session.closed")
                .with("client_id", accepted.clientId())
                .with("key_id", accepted.keyId())
                .with("kind", chat.used() ? "chat" : uploads.used() ? "upload" : "ping")
                .with("messages_in", chat.used() ? chat.received() : null)
                .with("messages_out", chat.used() ? chat.sent() : null)
                .with("files_stored", uploads.used() ? uploads.stored() : null)
                .with("files_failed", uploads.used() ? uploads.failed() : null)
                .with("bytes_in", session.bytesReceived())
                .with("bytes_out", session.bytesSent())
                .with("duration_ms", duration.toMillis())
                .with("outcome", outcome)
                .with("detail", detail));
  }

  private static String serve(SecureChannel session, UploadSession uploads, ChatSession chat)
      throws IOException {
    while (true) {
      SessionMessage message = session.receive();
      switch (message) {
        case Ping p -> session.send(new Pong(p.token()));
        case Pong p -> {
          // An unsolicited pong is harmless; ignore it.
        }
        case Close c -> {
          return "closed";
        }
        case UploadBegin b -> uploads.begin(b);
        case UploadData d -> uploads.data(d);
        case UploadEnd e -> uploads.end(e);
        case ChatMessage c -> chat.handle(c);
        case UploadReady r -> throw serverOnly("UPLOAD_READY");
        case UploadResult r -> throw serverOnly("UPLOAD_RESULT");
      }
    }
  }

  private static ProtocolException serverOnly(String what) {
    return new ProtocolException(Reason.MALFORMED, "the client sent " + what);
  }

  private static void sendClose(SecureChannel session, int code, String text) {
    try {
      session.send(new Close(code, text));
    } catch (IOException ignored) {
      // The peer may be gone already; the session ends either way.
    }
  }

  /**
   * A chat member that fell behind is cut: its final notice gets two seconds to be written, then
   * the socket is closed whether or not the peer read it.
   */
  private void closeSoonAsTooSlow() {
    tooSlow = true;
    context
        .scheduler()
        .schedule(
            () -> {
              try {
                socket.close();
              } catch (IOException ignored) {
                // Already closed.
              }
            },
            2,
            java.util.concurrent.TimeUnit.SECONDS);
  }

  /** Whether a file is being received on this connection right now. */
  boolean uploading() {
    UploadSession uploads = uploadSession;
    return uploads != null && uploads.receiving();
  }

  /** The verified client and key, or null while the handshake runs. */
  Accepted verified() {
    return verified;
  }

  /** Ends a verified session whose key is no longer valid: CLOSE (revoked), then close. */
  void revoke() {
    revoked = true;
    SecureChannel session = channel;
    if (session != null) {
      sendClose(session, Close.REVOKED, "this client's key was revoked");
    }
    try {
      socket.close();
    } catch (IOException ignored) {
      // Already closed.
    }
  }

  /** Tells a verified peer the server is stopping, then closes the socket. */
  void shutdown() {
    SecureChannel session = channel;
    if (session != null) {
      sendClose(session, Close.SHUTDOWN, "server shutting down");
    }
    try {
      socket.close();
    } catch (IOException ignored) {
      // Already closed.
    }
  }

  private AuditEvent event(String name) {
    return AuditEvent.of(name).with("conn", id).with("remote", remote);
  }
}
