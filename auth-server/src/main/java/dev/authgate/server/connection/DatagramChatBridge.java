package dev.authgate.server.connection;

import dev.authgate.protocol.session.ChatMessage.Event;
import dev.authgate.server.chat.ChatSession;
import dev.authgate.server.datagram.DatagramSession;
import java.util.function.Predicate;

/**
 * A session's datagram channel reaching its chat room: a line said by datagram is said as the
 * session's chat member (which must exist and may chat), and the room's events go out as datagrams
 * while the channel asks for them. The two features never import each other; the session they both
 * belong to joins them here.
 */
final class DatagramChatBridge implements DatagramSession.Chat {
  private final Session session;

  DatagramChatBridge(Session session) {
    this.session = session;
  }

  @Override
  public boolean say(byte[] line) {
    ChatSession member = session.chatIfStarted();
    return session.mayChat() && member != null && member.sayFromDatagram(line);
  }

  @Override
  public void deliverEventsTo(Predicate<Event> sink) {
    if (sink != null) {
      session.chat().deliverRoomEventsTo(sink);
    } else if (session.chatIfStarted() != null) {
      session.chatIfStarted().deliverRoomEventsTo(null);
    }
  }
}
