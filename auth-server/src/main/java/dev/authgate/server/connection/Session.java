package dev.authgate.server.connection;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import dev.authgate.protocol.handshake.ServerHandshake.Accepted;
import dev.authgate.protocol.keyfile.EnrollmentToken;
import dev.authgate.protocol.keyfile.Permissions;
import dev.authgate.protocol.keyfile.Permissions.SessionKind;
import dev.authgate.protocol.session.ChatMessage;
import dev.authgate.protocol.session.DatagramControl;
import dev.authgate.protocol.session.Enroll;
import dev.authgate.protocol.session.EnrollResult;
import dev.authgate.protocol.session.FileListing;
import dev.authgate.protocol.session.GetData;
import dev.authgate.protocol.session.GetEnd;
import dev.authgate.protocol.session.GetFile;
import dev.authgate.protocol.session.GetReady;
import dev.authgate.protocol.session.ListFiles;
import dev.authgate.protocol.session.ListRefused;
import dev.authgate.protocol.session.RotateKey;
import dev.authgate.protocol.session.RotateResult;
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
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.chat.ChatSession;
import dev.authgate.server.datagram.DatagramSession;
import dev.authgate.server.download.DownloadSession;
import dev.authgate.server.enroll.EnrollSession;
import dev.authgate.server.keystore.LiveKeystore;
import dev.authgate.server.rotation.RotationSession;
import dev.authgate.server.session.VerifiedSession;
import dev.authgate.server.upload.UploadSession;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The verified part of one connection: reads the client's messages top to bottom on the
 * connection's thread, answers them, and when the session ends — however it ends — says why in a
 * CLOSE where the peer may still hear it, and audits {@code session.closed}.
 *
 * <p>Not thread-safe, except {@link #uploading()}: driven by the connection's thread.
 */
final class Session implements VerifiedSession {
  private final Connection connection;
  private final Accepted accepted;
  private final SecureChannel channel;
  private final ServerContext context;
  private volatile UploadSession uploads;
  private volatile ChatSession chat;
  private DatagramSession datagrams;
  private volatile DownloadSession downloads;
  private RotationSession rotation;
  private final SessionPolicy policy;

  Session(
      Connection connection,
      Accepted accepted,
      InputStream in,
      OutputStream out,
      ServerContext context) {
    this.connection = connection;
    this.accepted = accepted;
    this.context = context;
    this.channel = SecureChannel.server(in, out, accepted.keys());
    this.policy = new SessionPolicy(context, accepted.clientId());
  }

  // The three kinds of work are set up at their first message, not for every session: most
  // sessions only ping or do one kind, and an idle session's heap is what limits how many a server
  // holds (docs/PERFORMANCE.md, "Idle sessions"). Volatile: uploading() and stillPermitted() read
  // them from other threads.

  private UploadSession uploads() {
    UploadSession now = uploads;
    if (now == null) {
      now = new UploadSession(context.uploads(), this);
      uploads = now;
    }
    return now;
  }

  private RotationSession rotation() {
    if (rotation == null) {
      rotation =
          new RotationSession(
              this,
              accepted.keyId(),
              accepted.rotationAsked(),
              context.keys() instanceof LiveKeystore live ? Optional.of(live) : Optional.empty());
    }
    return rotation;
  }

  private DownloadSession downloads() {
    DownloadSession now = downloads;
    if (now == null) {
      now = new DownloadSession(context.published(), this);
      downloads = now;
    }
    return now;
  }

  /** This session's chat member, made on first use. */
  ChatSession chat() {
    ChatSession now = chat;
    if (now == null) {
      now = new ChatSession(context.chat(), context.config().chat().queue(), this);
      chat = now;
    }
    return now;
  }

  private DatagramSession datagrams() {
    if (datagrams == null) {
      datagrams =
          new DatagramSession(
              context.datagrams(),
              this,
              () -> accepted.keys().datagramSecret(),
              context.config().datagrams().perSecond(),
              new DatagramChatBridge(this));
    }
    return datagrams;
  }

  @Override
  public String clientId() {
    return accepted.clientId();
  }

  @Override
  public String connectionId() {
    return connection.id();
  }

  @Override
  public SecureChannel channel() {
    return channel;
  }

  @Override
  public Clock clock() {
    return context.clock();
  }

  @Override
  public AuditEvent connectionEvent(AuditEventType type) {
    return connection.event(type);
  }

  @Override
  public AuditEvent event(AuditEventType type) {
    return connection.event(type).with("client_id", accepted.clientId());
  }

  /** Audits a feature's event, unless the client's control budget says to count it instead. */
  @Override
  public void audit(AuditEvent event) {
    if (policy.auditable(event)) {
      context.audit().record(event);
    }
  }

  @Override
  public void closeSoonAsTooSlow() {
    connection.closeSoonAsTooSlow();
  }

  @Override
  public void finalWordsWritten() {
    connection.finalWordsWritten();
  }

  /** Serves until the session ends, then audits how. */
  void run(Instant start) {
    SessionEnding ending = serveUntilEnd();
    ConnectionState requested = connection.state();
    if (requested.ending() && !ending.byClient()) {
      ending =
          new SessionEnding(
              requested.outcome(),
              requested.closeText(connection.operatorReason()),
              requested.closeCode());
    }
    // Before anything else ends, so no datagram acts for a session that is ending.
    if (datagrams != null) {
      datagrams.close(ending.outcome());
    }
    if (ending.closeCode() >= 0) {
      sendClose(ending.closeCode(), ending.closeText());
      connection.finishOutput();
    }
    if (uploads != null) {
      uploads.connectionEnded(ending.outcome());
    }
    if (chat != null) {
      chat.connectionEnded(ending.outcome());
    }
    auditClosed(ending, start);
  }

  private SessionEnding serveUntilEnd() {
    try {
      if (!connection.open()) {
        return new SessionEnding("connection-lost", "ended before the session began", -1);
      }
      connection.idleLimit(
          (int) Math.min(Integer.MAX_VALUE, context.config().idleTimeout().toMillis()));
      serve();
      return new SessionEnding("closed", null, -1);
    } catch (IOException e) {
      return SessionEnding.of(e, context.config().idleTimeout());
    }
  }

  private void serve() throws IOException {
    boolean tokenSession = EnrollmentToken.isTokenClientId(accepted.clientId());
    while (true) {
      SessionMessage message = channel.receive();
      policy.spend(message, tokenSession);
      if (message instanceof Close) {
        return;
      }
      route(message, tokenSession);
    }
  }

  /** Hands one message to the feature it is for, or refuses it. */
  private void route(SessionMessage message, boolean tokenSession) throws IOException {
    switch (message) {
      case Ping p -> {
        policy.requireKeepalive(chatUsed(), uploadsUsed(), downloadsUsed());
        channel.send(new Pong(p.token()));
      }
      case Pong p -> {
        // An unsolicited pong is harmless; ignore it.
      }
      case Close c -> {
        // serve() has ended the session.
      }
      case UploadBegin b -> uploads().begin(b, policy.permissions());
      case UploadData d -> uploads().data(d);
      case UploadEnd e -> uploads().end(e);
      case ChatMessage c -> {
        policy.require(SessionKind.CHAT);
        chat().handle(c, policy.permissions());
      }
      case Enroll e -> enroll(e, tokenSession);
      case EnrollResult r -> throw serverOnly("ENROLL_RESULT");
      case ListFiles l -> {
        policy.require(SessionKind.DOWNLOAD);
        downloads().list();
      }
      case GetFile g -> {
        if (g.offset() > 0) {
          policy.control().spend("resumed GET_FILE"); // the server hashes the prefix first
        }
        downloads().get(g, policy.permissions());
      }
      case FileListing l -> throw serverOnly("FILE_LISTING");
      case ListRefused l -> throw serverOnly("LIST_REFUSED");
      case GetReady r -> throw serverOnly("GET_READY");
      case GetData d -> throw serverOnly("GET_DATA");
      case GetEnd e -> throw serverOnly("GET_END");
      case UploadReady r -> throw serverOnly("UPLOAD_READY");
      case UploadResult r -> throw serverOnly("UPLOAD_RESULT");
      case DatagramControl d -> datagram(d);
      case RotateKey r -> rotation().rotate(r);
      case RotateResult r -> throw serverOnly("ROTATE_RESULT");
    }
  }

  private void enroll(Enroll request, boolean tokenSession) throws IOException {
    if (!tokenSession) {
      throw new NotPermitted("only an enrollment token's session may enroll");
    }
    new EnrollSession(
            this,
            context.keys() instanceof LiveKeystore live ? Optional.of(live) : Optional.empty())
        .enroll(request);
  }

  private void datagram(DatagramControl message) throws IOException {
    switch (message) {
      case DatagramControl.Open o -> {
        policy.require(SessionKind.CHAT);
        datagrams().open(o.events());
      }
      case DatagramControl.Status s -> {
        policy.require(SessionKind.CHAT);
        datagrams().status();
      }
      case DatagramControl.Opened o -> throw serverOnly("DATAGRAM_OPENED");
      case DatagramControl.Counts c -> throw serverOnly("DATAGRAM_COUNTS");
    }
  }

  private static ProtocolException serverOnly(String what) {
    return new ProtocolException(Reason.MALFORMED, "the client sent " + what);
  }

  private void sendClose(int code, String text) {
    try {
      channel.send(new Close(code, text));
    } catch (IOException ignored) {
      // The peer may be gone already; the session ends either way.
    }
  }

  private void auditClosed(SessionEnding ending, Instant start) {
    Duration duration = Duration.between(start, context.clock().instant());
    context
        .audit()
        .record(
            connection
                .event(AuditEventType.SESSION_CLOSED)
                .with("client_id", accepted.clientId())
                .with("key_id", accepted.keyId())
                .with("kind", kind())
                .with("messages_in", chatUsed() ? chat.received() : null)
                .with("messages_out", chatUsed() ? chat.sent() : null)
                .with("files_stored", uploadsUsed() ? uploads.stored() : null)
                .with("files_failed", uploadsUsed() ? uploads.failed() : null)
                .with("files_sent", downloadsUsed() ? downloads.sent() : null)
                .with("files_skipped", downloadsUsed() ? downloads.skipped() : null)
                .with("downloads_failed", downloadsUsed() ? downloads.failed() : null)
                .with("refusals_not_audited", policy.refusalsNotAudited())
                .with("bytes_in", channel.bytesReceived())
                .with("bytes_out", channel.bytesSent())
                .with("duration_ms", duration.toMillis())
                .with("outcome", ending.outcome())
                .with("detail", ending.detail()));
  }

  /** What the session has done so far; read from other threads as a snapshot. */
  String kind() {
    if (chatUsed()) {
      return "chat";
    }
    if (uploadsUsed()) {
      return "upload";
    }
    return downloadsUsed() ? "download" : "ping";
  }

  /**
   * Whether {@code permissions} still allow what this session is doing: a chat member must still be
   * allowed to chat and to be in its room. Safe to call from any thread.
   */
  boolean stillPermitted(Permissions permissions) {
    ChatSession member = chat;
    if (member == null || !member.used()) {
      return true;
    }
    String room = member.roomName();
    return permissions.allows(SessionKind.CHAT) && (room == null || permissions.allowsRoom(room));
  }

  /** This session's chat member if it has one yet, else null. */
  ChatSession chatIfStarted() {
    return chat;
  }

  /** Whether this session's client may chat now. */
  boolean mayChat() {
    return policy.permissions().allows(SessionKind.CHAT);
  }

  /** Whether a file is being received now. Safe to call from any thread. */
  boolean uploading() {
    UploadSession now = uploads;
    return now != null && now.receiving();
  }

  private boolean chatUsed() {
    return chat != null && chat.used();
  }

  private boolean uploadsUsed() {
    return uploads != null && uploads.used();
  }

  private boolean downloadsUsed() {
    return downloads != null && downloads.used();
  }
}
