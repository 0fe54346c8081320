package dev.authgate.server.chat;

import dev.authgate.protocol.session.ChatMessage.Event;
import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditLog;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * All chat rooms of a server. Rooms are created on first join and forgotten when the last member
 * leaves. One lock orders every join, leave and message, so each room's members receive its events
 * in the same order; the lock is held only to queue events, never to write to a socket.
 *
 * <p>Thread-safe.
 */
public final class ChatRooms {
  private final int historySize;
  private final AuditLog audit;
  private final Clock clock;
  private final Map<String, Room> rooms = new TreeMap<>();

  /**
   * @param historySize messages replayed to a member who joins
   * @param audit where chat.joined and chat.left go
   */
  public ChatRooms(int historySize, AuditLog audit, Clock clock) {
    this.historySize = historySize;
    this.audit = audit;
    this.clock = clock;
  }

  /** Puts {@code member} in {@code room}, leaving its current room first. */
  public void join(ChatMember member, String roomName) {
    List<ChatMember> slow = new ArrayList<>();
    String previous;
    synchronized (this) {
      previous = member.room() == null ? null : member.room().name();
      slow.addAll(leaveLocked(member, "moved to " + roomName));
      Room room = rooms.computeIfAbsent(roomName, name -> new Room(name, historySize));
      member.room(room);
      slow.addAll(room.join(member, clock.millis()));
    }
    if (previous != null) {
      audited("chat.left", member, previous, "moved to " + roomName);
    }
    audited("chat.joined", member, roomName, null);
    dropAll(slow);
  }

  /** Takes {@code member} out of its room, if any, telling the others {@code reason}. */
  public void leave(ChatMember member, String reason) {
    String roomName;
    List<ChatMember> slow;
    synchronized (this) {
      Room room = member.room();
      roomName = room == null ? null : room.name();
      slow = leaveLocked(member, reason);
    }
    if (roomName != null) {
      audited("chat.left", member, roomName, reason);
    }
    dropAll(slow);
  }

  private List<ChatMember> leaveLocked(ChatMember member, String reason) {
    Room room = member.room();
    if (room == null) {
      return List.of();
    }
    List<ChatMember> slow = room.leave(member, reason, clock.millis());
    member.room(null);
    if (room.isEmpty()) {
      rooms.remove(room.name());
    }
    return slow;
  }

  /** How long a sender waits for a backlogged member to catch up before that member is dropped. */
  static final java.time.Duration CATCH_UP = java.time.Duration.ofSeconds(2);

  /**
   * Sends {@code text} from {@code member} to its room. The message is queued for every member at
   * once; then, if some member's queue is more than half full, the sender (only the sender) waits
   * up to {@link #CATCH_UP} for it to drain, and a member that does not drain is dropped. A burst
   * from one sender is so paced by the readers, while a member that stopped reading is cut within
   * seconds and never delays anyone's delivery.
   *
   * @return false if the member is in no room
   */
  public boolean say(ChatMember member, String text) throws InterruptedException {
    List<ChatMember> slow;
    List<ChatMember> backlogged;
    synchronized (this) {
      Room room = member.room();
      if (room == null) {
        return false;
      }
      slow = room.say(member, text, clock.millis());
      backlogged = room.backlogged();
    }
    dropAll(slow);
    List<ChatMember> stuck = new ArrayList<>();
    for (ChatMember other : backlogged) {
      if (!other.awaitDrain(CATCH_UP)) {
        stuck.add(other);
      }
    }
    dropAll(stuck);
    return true;
  }

  /** The member's room's ids, or null if it is in no room. */
  public synchronized String who(ChatMember member) {
    Room room = member.room();
    return room == null ? null : room.who();
  }

  /** Every room as {@code name:members}, comma separated. */
  public synchronized String rooms() {
    return rooms.values().stream()
        .map(r -> r.name() + ":" + r.size())
        .collect(Collectors.joining(","));
  }

  private void dropAll(List<ChatMember> slow) {
    for (ChatMember member : slow) {
      if (!member.dropped()) {
        member.drop("it fell too far behind the room");
        leave(member, "slow-consumer");
      }
    }
  }

  private void audited(String event, ChatMember member, String room, String reason) {
    audit.record(
        AuditEvent.of(event)
            .with("conn", member.connectionId())
            .with("client_id", member.clientId())
            .with("room", room)
            .with("reason", reason));
  }

  /** A server notice for one member, e.g. an error. */
  Event notice(Event.Kind kind, String room, String text) {
    return new Event(kind, clock.millis(), room == null ? "" : room, "", text);
  }
}
