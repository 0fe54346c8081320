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
import dev.authgate.server.datagram.Channel;
import dev.authgate.server.datagram.DatagramEndpoint;
import dev.authgate.server.download.DownloadSession;
import dev.authgate.server.enroll.EnrollSession;
import dev.authgate.server.keystore.LiveKeystore;
import dev.authgate.server.session.VerifiedSession;
import dev.authgate.server.upload.UploadSession;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
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
  private volatile Channel datagramChannel;
  private volatile DownloadSession downloads;
  private int refusalsNotAudited;
  private ControlBudget control; // looked up at the first control request: most sessions make none

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

  private DownloadSession downloads() {
    DownloadSession now = downloads;
    if (now == null) {
      now = new DownloadSession(context.published(), this);
      downloads = now;
    }
    return now;
  }

  private ChatSession chat() {
    ChatSession now = chat;
    if (now == null) {
      now = new ChatSession(context.chat(), context.config().chat().queue(), this);
      chat = now;
    }
    return now;
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

  /**
   * Audits a feature's event; a refusal or skip only while the client's control budget lasts. Past
   * it they are counted (session.closed {@code refusals_not_audited}) rather than written one by
   * one: a client re-sending 500 files the server has is refused 500 times, legitimately, and a
   * client looping on a refused name must not fill the audit log.
   */
  @Override
  public void audit(AuditEvent event) {
    boolean refusal =
        switch (event.type()) {
          case UPLOAD_FAILED, DOWNLOAD_FAILED, DOWNLOAD_SKIPPED -> true;
          default -> false;
        };
    if (refusal && !control().tryTake()) {
      refusalsNotAudited++;
      return;
    }
    context.audit().record(event);
  }

  @Override
  public void closeSoonAsTooSlow() {
    connection.closeSoonAsTooSlow();
  }

  /** Serves until the session ends, then audits how. */
  void run(Instant start) {
    Ending ending = serveUntilEnd();
    ConnectionState requested = connection.state();
    if (requested.ending() && !ending.byClient()) {
      ending = new Ending(requested.outcome(), requested.why(), requested.closeCode());
    }
    // Before anything else ends, so no datagram acts for a session that is ending.
    closeDatagrams(ending.outcome());
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

  /** How a session ended: its audit outcome and detail, and the CLOSE (if any) that says so. */
  private record Ending(String outcome, String detail, int closeCode, String closeText) {
    Ending(String outcome, String detail, int closeCode) {
      this(outcome, detail, closeCode, detail);
    }

    boolean byClient() {
      return outcome.equals("closed");
    }
  }

  private Ending serveUntilEnd() {
    try {
      if (!connection.open()) {
        return new Ending("connection-lost", "ended before the session began", -1);
      }
      connection.idleLimit(
          (int) Math.min(Integer.MAX_VALUE, context.config().idleTimeout().toMillis()));
      serve();
      return new Ending("closed", null, -1);
    } catch (NotPermitted e) {
      return new Ending(Reason.NOT_PERMITTED.auditName(), e.getMessage(), Close.NOT_PERMITTED);
    } catch (ControlBudget.ControlFlood e) {
      return new Ending("flood", e.getMessage(), Close.PROTOCOL_ERROR, "too many requests");
    } catch (SocketTimeoutException e) {
      String why = "idle for " + context.config().idleTimeout().toSeconds() + " s";
      return new Ending("idle-timeout", null, Close.IDLE, why);
    } catch (EOFException e) {
      return new Ending("connection-lost", "the client closed without CLOSE", -1);
    } catch (ProtocolException e) {
      return new Ending(
          e.reason().auditName(), e.getMessage(), Close.PROTOCOL_ERROR, e.reason().auditName());
    } catch (IOException e) {
      return new Ending("connection-lost", e.getMessage(), -1);
    }
  }

  /** The client asked for a kind of session its keystore entry does not allow. */
  private static final class NotPermitted extends IOException {
    private static final long serialVersionUID = 1L;

    NotPermitted(SessionKind kind) {
      super(kind.label() + " sessions are not permitted for this client");
    }

    NotPermitted(String why) {
      super(why);
    }
  }

  /** What the client may do now: read at each use, so a change applies on the next request. */
  private Permissions permissions() {
    return context.keys().permissions(accepted.clientId());
  }

  private void require(SessionKind kind) throws NotPermitted {
    if (!permissions().allows(kind)) {
      throw new NotPermitted(kind);
    }
  }

  /**
   * A PING is a ping session's request, or a keepalive of a session of a kind the client may still
   * use (a chat member's, an uploader's between files). Checked on every PING, so a client whose
   * every kind was refused, or taken away, is not kept alive by PINGs.
   */
  private void requireKeepalive() throws NotPermitted {
    Permissions now = permissions();
    boolean keepsAlive =
        now.allows(SessionKind.PING)
            || (chatUsed() && now.allows(SessionKind.CHAT))
            || (uploadsUsed() && now.allows(SessionKind.UPLOAD))
            || (downloadsUsed() && now.allows(SessionKind.DOWNLOAD));
    if (!keepsAlive) {
      throw new NotPermitted(SessionKind.PING);
    }
  }

  private ControlBudget control() {
    if (control == null) {
      control = context.controlBudgets().of(accepted.clientId());
    }
    return control;
  }

  /** Spends this session's control budget on a request that touches shared state or the audit. */
  private void spendControl(SessionMessage message) throws ControlBudget.ControlFlood {
    String what =
        switch (message) {
          case ChatMessage.Join j -> "CHAT_JOIN";
          case ChatMessage.Leave l -> "CHAT_LEAVE";
          case ChatMessage.Who w -> "CHAT_WHO";
          case ChatMessage.Rooms r -> "CHAT_ROOMS";
          case DatagramControl.Open o -> "DATAGRAM_OPEN";
          case DatagramControl.Status s -> "DATAGRAM_STATUS";
          case ListFiles l -> "LIST_FILES";
          case Enroll e -> "ENROLL";
          default -> null;
        };
    if (what != null) {
      control().spend(what);
    }
  }

  private void serve() throws IOException {
    boolean tokenSession = EnrollmentToken.isTokenClientId(accepted.clientId());
    while (true) {
      SessionMessage message = channel.receive();
      if (tokenSession
          && !(message instanceof Enroll
              || message instanceof Ping
              || message instanceof Pong
              || message instanceof Close)) {
        throw new NotPermitted("an enrollment token's session may only enroll");
      }
      spendControl(message);
      switch (message) {
        case Ping p -> {
          requireKeepalive();
          channel.send(new Pong(p.token()));
        }
        case Pong p -> {
          // An unsolicited pong is harmless; ignore it.
        }
        case Close c -> {
          return;
        }
        case UploadBegin b -> uploads().begin(b, permissions());
        case UploadData d -> uploads().data(d);
        case UploadEnd e -> uploads().end(e);
        case ChatMessage c -> {
          require(SessionKind.CHAT);
          chat().handle(c, permissions());
        }
        case Enroll e -> {
          if (!tokenSession) {
            throw new NotPermitted("only an enrollment token's session may enroll");
          }
          new EnrollSession(
                  this,
                  context.keys() instanceof LiveKeystore live
                      ? Optional.of(live)
                      : Optional.empty())
              .enroll(e);
        }
        case EnrollResult r -> throw serverOnly("ENROLL_RESULT");
        case ListFiles l -> {
          require(SessionKind.DOWNLOAD);
          downloads().list();
        }
        case GetFile g -> {
          if (g.offset() > 0) {
            control().spend("resumed GET_FILE"); // the server hashes the prefix first
          }
          downloads().get(g, permissions());
        }
        case FileListing l -> throw serverOnly("FILE_LISTING");
        case GetReady r -> throw serverOnly("GET_READY");
        case GetData d -> throw serverOnly("GET_DATA");
        case GetEnd e -> throw serverOnly("GET_END");
        case UploadReady r -> throw serverOnly("UPLOAD_READY");
        case UploadResult r -> throw serverOnly("UPLOAD_RESULT");
        case DatagramControl.Open o -> openDatagrams(o.events());
        case DatagramControl.Status s -> {
          require(SessionKind.CHAT);
          Channel now = datagramChannel;
          channel.send(
              now == null
                  ? new DatagramControl.Counts(0, -1, 0)
                  : new DatagramControl.Counts(now.received(), now.highest(), now.dropped()));
        }
        case DatagramControl.Opened o -> throw serverOnly("DATAGRAM_OPENED");
        case DatagramControl.Counts c -> throw serverOnly("DATAGRAM_COUNTS");
      }
    }
  }

  /**
   * Opens this session's datagram channel (closing any open one): its keys come from the session's
   * datagram secret and the new channel's random id. Answered with DATAGRAM_OPENED, port 0 if this
   * server takes no datagrams or has as many channels open as it may. Audited.
   */
  private void openDatagrams(boolean events) throws IOException {
    require(SessionKind.CHAT);
    closeDatagrams("reopened");
    DatagramEndpoint endpoint = context.datagrams();
    Channel opened =
        endpoint == null ? null : endpoint.open(accepted.keys().datagramSecret(), this::onDatagram);
    if (opened == null) {
      channel.send(new DatagramControl.Opened(new byte[8], 0, 0));
      return;
    }
    datagramChannel = opened;
    if (events) {
      Channel carrying = opened;
      chat()
          .deliverRoomEventsTo(
              event -> carrying.send(Channel.EVENT, event.body()) != Channel.Sent.TOO_BIG);
    }
    context
        .audit()
        .record(
            connection
                .event(AuditEventType.DATAGRAM_OPENED)
                .with("client_id", accepted.clientId())
                .with("udp_port", endpoint.port())
                .with("events", events));
    channel.send(
        new DatagramControl.Opened(
            opened.id(), endpoint.port(), context.config().datagrams().perSecond()));
  }

  /** A message that opened on this session's channel; on the datagram thread, never waiting. */
  private boolean onDatagram(Channel.Message message) {
    return switch (message.type()) {
      case Channel.SAY ->
          permissions().allows(SessionKind.CHAT)
              && chat != null
              && chat.sayFromDatagram(message.body());
      case Channel.CREDIT -> true;
      default -> false;
    };
  }

  private void closeDatagrams(String outcome) {
    Channel open = datagramChannel;
    if (open == null) {
      return;
    }
    datagramChannel = null;
    if (chat != null) {
      chat.deliverRoomEventsTo(null);
    }
    context.datagrams().close(open);
    AuditEvent event =
        connection
            .event(AuditEventType.DATAGRAM_CLOSED)
            .with("client_id", accepted.clientId())
            .with("outcome", outcome);
    open.counts().forEach(event::with);
    context.audit().record(event);
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

  private void auditClosed(Ending ending, Instant start) {
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
                .with("refusals_not_audited", refusalsNotAudited > 0 ? refusalsNotAudited : null)
                .with("bytes_in", channel.bytesReceived())
                .with("bytes_out", channel.bytesSent())
                .with("duration_ms", duration.toMillis())
                .with("outcome", ending.outcome())
                .with("detail", ending.detail()));
  }

  private String kind() {
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
