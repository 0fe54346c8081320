package dev.authgate.server.connection;

import dev.authgate.protocol.keyfile.Permissions;
import dev.authgate.protocol.keyfile.Permissions.SessionKind;
import dev.authgate.protocol.session.ChatMessage;
import dev.authgate.protocol.session.DatagramControl;
import dev.authgate.protocol.session.Enroll;
import dev.authgate.protocol.session.ListFiles;
import dev.authgate.protocol.session.SessionMessage;

/**
 * What one verified session may do: the client's permissions, read at each use so that a change
 * applies on the next request, and its share of the client's control budget.
 *
 * <p>Driven by the connection's thread.
 */
final class SessionPolicy {
  private final ServerContext context;
  private final String clientId;
  private ControlBudget control; // looked up at the first control request: most sessions make none

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

  /** Spends the control budget on a request that touches shared state or the audit. */
  void spend(SessionMessage message) throws ControlBudget.ControlFlood {
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
}
