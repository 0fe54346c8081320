package dev.authgate.server.chat;

import dev.authgate.protocol.session.ChatMessage.Event;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One chat room: its members and its last messages. Every change happens under the registry's lock
 * (see {@link ChatRooms}), which also fixes one order of messages that every member's queue
 * receives. Not thread-safe on its own.
 */
final class Room {
  private final String name;
  private final int historySize;
  private final Set<ChatMember> members = new LinkedHashSet<>();
  private final Deque<Event> history = new ArrayDeque<>();

  Room(String name, int historySize) {
    this.name = name;
    this.historySize = historySize;
  }

  String name() {
    return name;
  }

  /** How many messages the history holds now. */
  int historyLength() {
    return history.size();
  }

  boolean isEmpty() {
    return members.isEmpty();
  }

  int size() {
    return members.size();
  }

  /**
   * Adds a member, replays the history to it (unless it only speaks), acknowledges the join to it
   * (a JOINED event naming itself, after the history), and tells the others.
   */
  List<ChatMember> join(ChatMember member, long now) {
    if (!member.speakOnly()) {
      for (Event old : history) {
        member.offer(new Event(Event.Kind.HISTORY, old.timestamp(), name, old.from(), old.text()));
      }
    }
    member.offer(new Event(Event.Kind.JOINED, now, name, member.clientId(), ""));
    List<ChatMember> slow =
        broadcast(new Event(Event.Kind.JOINED, now, name, member.clientId(), ""), member);
    members.add(member);
    return slow;
  }

  /** Removes a member and tells the others why. */
  List<ChatMember> leave(ChatMember member, String reason, long now) {
    if (!members.remove(member)) {
      return List.of();
    }
    return broadcast(new Event(Event.Kind.LEFT, now, name, member.clientId(), reason), null);
  }

  /** Delivers a MESSAGE event to every other member and keeps it for the history. */
  List<ChatMember> say(ChatMember from, Event event) {
    remember(event);
    return broadcast(event, from);
  }

  /**
   * Delivers what a member on another server did to every member here; a message also joins the
   * history.
   */
  List<ChatMember> relay(Event event) {
    if (event.kind() == Event.Kind.MESSAGE) {
      remember(event);
    }
    return broadcast(event, null);
  }

  /** Starts the history with messages kept elsewhere (oldest first); returns this room. */
  Room seeded(List<Event> shared) {
    for (Event event : shared) {
      remember(event);
    }
    return this;
  }

  private void remember(Event event) {
    history.addLast(event);
    while (history.size() > historySize) {
      history.removeFirst();
    }
  }

  /** Members with more than half their queue waiting. */
  List<ChatMember> backlogged() {
    return members.stream().filter(ChatMember::backlogged).toList();
  }

  /** The authenticated ids present, one per connection, comma separated. */
  String who() {
    return members.stream().map(ChatMember::clientId).collect(Collectors.joining(","));
  }

  /**
   * Queues {@code event} for every member that hears the room but {@code except}; returns those
   * that fell behind.
   */
  private List<ChatMember> broadcast(Event event, ChatMember except) {
    List<ChatMember> slow = new ArrayList<>();
    for (ChatMember member : members) {
      if (member != except && !member.speakOnly() && !member.offer(event)) {
        slow.add(member);
      }
    }
    return slow;
  }
}
