package dev.authgate.server.connection;

import dev.authgate.protocol.keyfile.Permissions;
import dev.authgate.protocol.keyfile.Permissions.SessionKind;
import dev.authgate.protocol.session.ChatMessage;
import dev.authgate.protocol.session.DatagramControl;
import dev.authgate.protocol.session.Enroll;
import dev.authgate.protocol.session.ListFiles;
import dev.authgate.protocol.session.SessionMessage;
import dev.authgate.protocol.session.SessionMessage.Close;
import dev.authgate.protocol.session.SessionMessage.Ping;
import dev.authgate.protocol.session.SessionMessage.Pong;
import dev.authgate.server.audit.AuditEvent;

/**
 * What one verified session may do: the client's permissions, read at each use so that a change
 * applies on the next request, its share of the client's control budget, what an enrollment token's
 * session may send, and which refusals are audited.
 *
 * <p>Driven by the connection's thread.
 */
final class SessionPolicy {
  private final ServerContext context;
  private final String clientId;
  private ControlBudget control; // looked up at the first control request: most sessions make none
  private int refusalsNotAudited;

  SessionPolicy(ServerContext context, String clientId) {
    this.context = context;
    this.clientId = clientId;
  }

  /** What the client may do now. */
  Permissions permissions() {
    return context.keys().permissions(clientId);
  }

  void require(SessionKind kind) throws NotPermitted {
    if (!permissions().allows(kind)) {
      throw new NotPermitted(kind);
    }
  }

  /**
   * A PING is a ping session's request, or a keepalive of a session of a kind the client may still
   * use (a chat member's, an uploader's between files). Checked on every PING, so a client whose
   * every kind was refused, or taken away, is not kept alive by PINGs.
   */
  void requireKeepalive(boolean chatUsed, boolean uploadsUsed, boolean downloadsUsed)
      throws NotPermitted {
    Permissions now = permissions();
    boolean keepsAlive =
        now.allows(SessionKind.PING)
            || (chatUsed && now.allows(SessionKind.CHAT))
            || (uploadsUsed && now.allows(SessionKind.UPLOAD))
            || (downloadsUsed && now.allows(SessionKind.DOWNLOAD));
    if (!keepsAlive) {
      throw new NotPermitted(SessionKind.PING);
    }
  }

  /** The client's control budget, shared by its sessions. */
  ControlBudget control() {
    if (control == null) {
      control = context.controlBudgets().of(clientId);
    }
    return control;
  }

  /**
   * Refuses anything but enrolling (and keepalives, and leaving) in an enrollment token's session,
   * then spends the control budget on a request that touches shared state or the audit.
   */
  void spend(SessionMessage message, boolean tokenSession)
      throws NotPermitted, ControlBudget.ControlFlood {
    if (tokenSession
        && !(message instanceof Enroll
            || message instanceof Ping
            || message instanceof Pong
            || message instanceof Close)) {
      throw new NotPermitted("an enrollment token's session may only enroll");
    }
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

  /**
   * Whether a feature's event is written: a refusal or skip only while the client's control budget
   * lasts. Past it they are counted (session.closed {@code refusals_not_audited}) rather than
   * written one by one: a client re-sending 500 files the server has is refused 500 times,
   * legitimately, and a client looping on a refused name must not fill the audit log.
   */
  boolean auditable(AuditEvent event) {
    boolean refusal =
        switch (event.type()) {
          case UPLOAD_FAILED, DOWNLOAD_FAILED, DOWNLOAD_SKIPPED -> true;
          default -> false;
        };
    if (refusal && !control().tryTake()) {
      refusalsNotAudited++;
      return false;
    }
    return true;
  }

  /** The refusals {@link #auditable} counted instead of writing; null if none. */
  Integer refusalsNotAudited() {
    return refusalsNotAudited > 0 ? refusalsNotAudited : null;
  }
}
