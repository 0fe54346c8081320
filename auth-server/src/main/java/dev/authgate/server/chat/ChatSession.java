package dev.authgate.server.chat;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import dev.authgate.protocol.keyfile.ClientIds;
import dev.authgate.protocol.keyfile.Permissions;
import dev.authgate.protocol.session.ChatMessage;
import dev.authgate.protocol.session.ChatMessage.Event;
import dev.authgate.protocol.session.ChatText;
import dev.authgate.protocol.session.SecureChannel;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.session.VerifiedSession;
import java.nio.charset.StandardCharsets;

/**
 * The chat side of one verified session. Checks what the client sends — room names, UTF-8, size,
 * control characters — and answers a bad request with an ERROR event, keeping the session.
 *
 * <p>Not thread-safe: driven by the connection's thread.
 */
public final class ChatSession {
  private final ChatRooms rooms;
  private final VerifiedSession session;
  private final String clientId;
  private final SecureChannel channel;
  private final int queueCapacity;
  private volatile ChatMember member;
  private long received;

  /**
   * The chat side of {@code session} in {@code rooms}; a member's queue holds {@code queueCapacity}
   * events before the member is dropped as too slow.
   */
  public ChatSession(ChatRooms rooms, int queueCapacity, VerifiedSession session) {
    this.rooms = rooms;
    this.session = session;
    this.clientId = session.clientId();
    this.channel = session.channel();
    this.queueCapacity = queueCapacity;
  }

  /**
   * Handles one chat request; a bad request gets an ERROR event and the session carries on.
   *
   * @throws ProtocolException for CHAT_EVENT, which only the server sends: a protocol error
   */
  public void handle(ChatMessage message, Permissions permissions) throws ProtocolException {
    ChatMember me = member();
    switch (message) {
      case ChatMessage.Join join -> join(me, join, permissions);
      case ChatMessage.Say say -> say(me, say.text());
      case ChatMessage.Who who -> answer(me, Event.Kind.WHO, rooms.who(me), "join a room first");
      case ChatMessage.Rooms list ->
          me.reply(
              new Event(
                  Event.Kind.ROOMS,
                  System.currentTimeMillis(),
                  "",
                  "",
                  rooms.rooms(permissions::allowsRoom)));
      case ChatMessage.Leave leave -> rooms.leave(me, "left");
      case ChatMessage.Event event ->
          throw new ProtocolException(Reason.MALFORMED, "the client sent CHAT_EVENT");
    }
  }

  private void join(ChatMember me, ChatMessage.Join join, Permissions permissions) {
    String room = join.room();
    if (!ClientIds.isValid(room)) {
      error(me, "invalid room name: use " + ClientIds.RULE);
      return;
    }
    if (!permissions.allowsRoom(room)) {
      // The session carries on: the member may join a room it is allowed.
      session.audit(
          session
              .event(AuditEventType.CHAT_REFUSED)
              .with("room", room)
              .with("reason", "room-not-permitted"));
      error(
          me,
          "room '"
              + room
              + "' is not permitted for this client"
              + (permissions.rooms().isEmpty()
                  ? ""
                  : "; allowed: " + String.join(", ", permissions.rooms())));
      return;
    }
    rooms.join(me, room, join.speakOnly());
  }

  private void say(ChatMember me, byte[] bytes) {
    received++;
    String problem = ChatText.problem(bytes);
    if (problem != null) {
      error(me, problem);
      return;
    }
    try {
      if (!rooms.say(me, new String(bytes, StandardCharsets.UTF_8))) {
        error(me, "join a room first");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * A CHAT_SAY that came as a datagram: said in the member's room if it is in one and the text is
   * valid. On the datagram thread, which never waits: nothing is answered (an error has nowhere to
   * go but the counts).
   *
   * @return whether it was said
   */
  public boolean sayFromDatagram(byte[] bytes) {
    ChatMember me = member;
    if (me == null || me.roomName() == null || ChatText.problem(bytes) != null) {
      return false;
    }
    return rooms.sayWithoutWaiting(me, new String(bytes, StandardCharsets.UTF_8));
  }

  private void answer(ChatMember me, Event.Kind kind, String value, String otherwise) {
    if (value == null) {
      error(me, otherwise);
    } else {
      me.reply(new Event(kind, System.currentTimeMillis(), "", "", value));
    }
  }

  private void error(ChatMember me, String why) {
    me.reply(new Event(Event.Kind.ERROR, System.currentTimeMillis(), "", "", why));
  }

  private ChatMember member() {
    if (member == null) {
      member =
          new ChatMember(
              clientId,
              session.connectionId(),
              channel,
              queueCapacity,
              session::closeSoonAsTooSlow,
              session::finalWordsWritten);
    }
    return member;
  }

  /**
   * Sends this member's room events through {@code sink} (a datagram channel) from now on, or over
   * the session again if null.
   */
  public void deliverRoomEventsTo(java.util.function.Predicate<Event> sink) {
    if (sink == null && member == null) {
      return;
    }
    member().deliverRoomEventsTo(sink);
  }

  /** The connection ended: leave the room and stop the writer. */
  public void connectionEnded(String outcome) {
    if (member == null) {
      return;
    }
    // A dropped member has left already; leaving again is a no-op, and catches a member that
    // (dropped or not) is still in a room for any reason: no member outlives its connection.
    rooms.leave(member, member.dropped() ? "slow-consumer" : "disconnected");
    member.close();
  }

  public boolean used() {
    return member != null;
  }

  /** The room the member is in, or null. Safe from any thread. */
  public String roomName() {
    ChatMember now = member;
    return now == null ? null : now.roomName();
  }

  public long received() {
    return received;
  }

  public long sent() {
    return member == null ? 0 : member.sent();
  }
}
