package dev.authgate.server.chat;

import dev.authgate.protocol.session.ChatMessage.Event;
import java.util.List;

/**
 * How a server's rooms reach members on other servers: what a local member does (join, leave, say)
 * is {@link #publish published}, and what members elsewhere do comes back through {@link
 * ChatRooms#relay}. On a server of its own ({@link #LOCAL}) nothing leaves the process.
 *
 * <p>Implementations are thread-safe, and {@link #publish} returns at once: a room's lock is never
 * held while anything is sent.
 */
public interface ChatBus {
  /** A server on its own: nothing is shared. */
  ChatBus LOCAL = new ChatBus() {};

  /** Tells the other servers what a member here did: a MESSAGE, JOINED or LEFT event. */
  default void publish(Event event) {}

  /**
   * The room's shared history, oldest first, for a room that has no members here yet; empty if
   * nothing is shared or the shared state cannot answer promptly. May wait about a second.
   */
  default List<Event> history(String room) {
    return List.of();
  }

  /**
   * Tells the other servers who is in {@code room} here now: client ids, comma separated, one per
   * connection ("" once the last one left). Returns at once; {@code ids} is only asked for by a bus
   * that shares, so a server on its own never builds the list on each join and leave.
   */
  default void members(String room, java.util.function.Supplier<String> ids) {}

  /** Who is in {@code room} on the other servers, one id per connection, as last heard. */
  default List<String> membersElsewhere(String room) {
    return List.of();
  }

  /** Rooms on the other servers with their member counts, as last heard. */
  default java.util.Map<String, Integer> roomsElsewhere() {
    return java.util.Map.of();
  }
}
