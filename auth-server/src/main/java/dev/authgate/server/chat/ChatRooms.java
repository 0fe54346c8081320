package dev.authgate.server.chat;

import dev.authgate.protocol.session.ChatMessage.Event;
import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.audit.AuditLog;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * All chat rooms of a server. Rooms are created on first join. When the last member leaves, a room
 * rests: its history is kept for {@link #REST} (at most {@link #MOST_RESTING} rooms, the longest
 * empty forgotten first), so a member that joins meanwhile is replayed what was said. One lock
 * orders every join, leave and message, so each room's members receive its events in the same
 * order; the lock is held only to queue events, never to write to a socket.
 *
 * <p>Thread-safe.
 */
public final class ChatRooms {
  private final int historySize;
  private final AuditLog audit;
  private final Clock clock;
  private final Map<String, Room> rooms = new TreeMap<>();

  /** How long an empty room's history is kept. */
  public static final Duration REST = Duration.ofHours(1);

  /** The most empty rooms whose history is kept: a verified peer cannot make the server hoard. */
  static final int MOST_RESTING = 1_000;

  /**
   * The most messages kept in all resting rooms together (at most 4 KiB each: 40 MiB at worst,
   * whatever {@code --chat-history} is); past it the longest-empty rooms are forgotten first.
   */
  static final int MOST_RESTING_MESSAGES = 10_000;

  private int restingMessages;

  private record Resting(Room room, long since) {}

  /** Empty rooms by name, the longest empty first. Guarded by this. */
  private final LinkedHashMap<String, Resting> resting = new LinkedHashMap<>();

  private volatile ChatBus bus = ChatBus.LOCAL;

  /**
   * @param historySize messages replayed to a member who joins
   * @param audit where chat.joined and chat.left go
   */
  public ChatRooms(int historySize, AuditLog audit, Clock clock) {
    this.historySize = historySize;
    this.audit = audit;
    this.clock = clock;
  }

  /**
   * Shares these rooms with other servers through {@code shared}: set once, before the first member
   * joins.
   */
  public void share(ChatBus shared) {
    this.bus = shared;
  }

  /** Puts {@code member} in {@code room}, leaving its current room first. */
  void join(ChatMember member, String roomName, boolean speakOnly) {
    List<Event> shared = hasRoom(roomName) ? List.of() : bus.history(roomName);
    List<ChatMember> slow = new ArrayList<>();
    String previous;
    long now = clock.millis();
    synchronized (this) {
      if (member.dropped()) {
        return; // dropped for falling behind: it is on its way out and joins nothing
      }
      previous = member.room() == null ? null : member.room().name();
      slow.addAll(leaveLocked(member, "moved to " + roomName));
      member.speakOnly(speakOnly);
      Room room = rooms.computeIfAbsent(roomName, name -> awake(name, shared, now));
      member.room(room);
      slow.addAll(room.join(member, now));
      bus.members(roomName, room::who);
      if (previous != null) {
        Room left = rooms.get(previous);
        bus.members(previous, left == null ? () -> "" : left::who);
      }
    }
    if (previous != null) {
      audited(AuditEventType.CHAT_LEFT, member, previous, "moved to " + roomName);
      bus.publish(new Event(Event.Kind.LEFT, now, previous, member.clientId(), "moved"));
    }
    audit.record(
        AuditEvent.of(AuditEventType.CHAT_JOINED)
            .with("conn", member.connectionId())
            .with("client_id", member.clientId())
            .with("room", roomName)
            .with("speak_only", speakOnly ? Boolean.TRUE : null));
    bus.publish(new Event(Event.Kind.JOINED, now, roomName, member.clientId(), ""));
    dropAll(slow);
  }

  /**
   * The room {@code name} as it rested (its history kept), or a new one seeded with {@code shared}
   * (the cluster's history, which wins when there is one). Called under the lock.
   */
  private Room awake(String name, List<Event> shared, long now) {
    Resting rested = resting.remove(name);
    if (rested != null) {
      restingMessages -= rested.room().historyLength();
    }
    if (rested != null && shared.isEmpty() && now - rested.since() <= REST.toMillis()) {
      return rested.room();
    }
    return new Room(name, historySize).seeded(shared);
  }

  private synchronized boolean hasRoom(String roomName) {
    return rooms.containsKey(roomName);
  }

  /**
   * Delivers what a member on another server did (a MESSAGE, JOINED or LEFT event) to the members
   * of its room here, if any; a message also joins the room's history. Members that fall behind are
   * dropped as for local messages. Returns at once.
   */
  public void relay(Event event) {
    List<ChatMember> slow;
    synchronized (this) {
      Room room = rooms.get(event.room());
      if (room == null) {
        return;
      }
      slow = room.relay(event);
    }
    dropAll(slow);
  }

  /** Takes {@code member} out of its room, if any, telling the others {@code reason}. */
  void leave(ChatMember member, String reason) {
    String roomName;
    List<ChatMember> slow;
    synchronized (this) {
      Room room = member.room();
      roomName = room == null ? null : room.name();
      slow = leaveLocked(member, reason);
      if (roomName != null) {
        Room left = rooms.get(roomName);
        bus.members(roomName, left == null ? () -> "" : left::who);
      }
    }
    if (roomName != null) {
      audited(AuditEventType.CHAT_LEFT, member, roomName, reason);
      bus.publish(new Event(Event.Kind.LEFT, clock.millis(), roomName, member.clientId(), reason));
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
      rest(room, clock.millis());
    }
    return slow;
  }

  /**
   * Keeps an emptied room's history, then forgets, longest empty first, what is past {@link #REST}
   * or over the bounds. Called under the lock; stops at the first room it keeps.
   */
  private void rest(Room room, long now) {
    if (room.historyLength() > 0) {
      resting.put(room.name(), new Resting(room, now));
      restingMessages += room.historyLength();
    }
    var oldest = resting.values().iterator();
    while (oldest.hasNext()) {
      Resting r = oldest.next();
      boolean over = resting.size() > MOST_RESTING || restingMessages > MOST_RESTING_MESSAGES;
      if (!over && now - r.since() <= REST.toMillis()) {
        return;
      }
      restingMessages -= r.room().historyLength();
      oldest.remove();
    }
  }

  /** Messages replayed to a member who joins. */
  public int historySize() {
    return historySize;
  }

  /** How long a sender waits for a backlogged member to catch up before that member is dropped. */
  static final Duration CATCH_UP = Duration.ofSeconds(2);

  /**
   * Sends {@code text} from {@code member} to its room. The message is queued for every member at
   * once; then, if some member's queue is more than half full, the sender (only the sender) waits
   * up to {@link #CATCH_UP} for it to drain, and a member that does not drain is dropped. A burst
   * from one sender is so paced by the readers, while a member that stopped reading is cut within
   * seconds and never delays anyone's delivery.
   *
   * @return false if the member is in no room
   */
  boolean say(ChatMember member, String text) throws InterruptedException {
    return say(member, text, true);
  }

  /**
   * Sends {@code text} from {@code member} to its room without waiting for anyone (for a message
   * that came as a datagram, on the thread that receives every datagram): members that fell behind
   * are dropped as always, but the sender is not paced.
   *
   * @return false if the member is in no room
   */
  boolean sayWithoutWaiting(ChatMember member, String text) {
    try {
      return say(member, text, false);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private boolean say(ChatMember member, String text, boolean pace) throws InterruptedException {
    List<ChatMember> slow;
    List<ChatMember> backlogged;
    Event said;
    synchronized (this) {
      Room room = member.room();
      if (room == null) {
        return false;
      }
      said = new Event(Event.Kind.MESSAGE, clock.millis(), room.name(), member.clientId(), text);
      slow = room.say(member, said);
      backlogged = room.backlogged();
      // Published under the lock, so a sender's messages leave in the order the room took them.
      bus.publish(said);
    }
    dropAll(slow);
    if (!pace) {
      return true;
    }
    List<ChatMember> stuck = new ArrayList<>();
    for (ChatMember other : backlogged) {
      if (!other.awaitDrain(CATCH_UP)) {
        stuck.add(other);
      }
    }
    dropAll(stuck);
    return true;
  }

  /**
   * The ids in the member's room, here and (in a cluster) on the other servers, comma separated, or
   * null if it is in no room.
   */
  String who(ChatMember member) {
    String here;
    String name;
    synchronized (this) {
      Room room = member.room();
      if (room == null) {
        return null;
      }
      here = room.who();
      name = room.name();
    }
    List<String> elsewhere = bus.membersElsewhere(name);
    return elsewhere.isEmpty() ? here : here + "," + String.join(",", elsewhere);
  }

  /**
   * Every room as {@code name:members}, comma separated, counting (in a cluster) members on the
   * other servers too.
   */
  public String rooms() {
    return rooms(room -> true);
  }

  /**
   * As {@link #rooms()}, listing only the rooms {@code visible} accepts (those the asking client
   * may join: a list never shows what its reader may not use).
   */
  String rooms(java.util.function.Predicate<String> visible) {
    Map<String, Integer> counts = new TreeMap<>(bus.roomsElsewhere());
    synchronized (this) {
      rooms.values().forEach(r -> counts.merge(r.name(), r.size(), Integer::sum));
    }
    counts.keySet().removeIf(visible.negate());
    return counts.entrySet().stream()
        .map(e -> e.getKey() + ":" + e.getValue())
        .collect(Collectors.joining(","));
  }

  /** Who is in each room here: room name to ids, comma separated. */
  public synchronized Map<String, String> members() {
    Map<String, String> out = new TreeMap<>();
    rooms.values().forEach(r -> out.put(r.name(), r.who()));
    return out;
  }

  private void dropAll(List<ChatMember> slow) {
    for (ChatMember member : slow) {
      if (!member.dropped()) {
        member.drop("it fell too far behind the room");
        leave(member, "slow-consumer");
      }
    }
  }

  private void audited(AuditEventType event, ChatMember member, String room, String reason) {
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
