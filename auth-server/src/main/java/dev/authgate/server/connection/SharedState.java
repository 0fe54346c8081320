package dev.authgate.server.connection;

import dev.authgate.server.chat.ChatBus;
import dev.authgate.server.chat.ChatRooms;
import dev.authgate.server.defence.PenaltyStore;
import dev.authgate.server.defence.PenaltyTable;

/**
 * What several servers behind one load balancer share, one concern at a time. The in-process
 * implementation ({@link #inProcess()}) is a server on its own, as it always was; the {@code
 * cluster} package shares through Redis. The connection code never knows which it has.
 *
 * <p>Implementations are thread-safe.
 */
public interface SharedState {
  /**
   * The penalties the server consults and adds to, built around its own {@code local} table, which
   * stays the one answer at accept (memory only) whatever is shared.
   */
  PenaltyStore penalties(PenaltyTable local);

  /**
   * How {@code rooms} reach members on other servers; {@link ChatBus#LOCAL} (the default) keeps
   * every room to this server.
   */
  default ChatBus chat(ChatRooms rooms) {
    return ChatBus.LOCAL;
  }

  /**
   * Sessions on the other servers; {@code local} gives this server's own count per client id now.
   * {@link SessionRegistry#LOCAL} (the default) counts none elsewhere.
   */
  default SessionRegistry sessions(
      java.util.function.Supplier<java.util.Map<String, Integer>> local) {
    return SessionRegistry.LOCAL;
  }

  /**
   * How a change this server made to a client's keys file that the others must act on at once (a
   * lock) reaches them: the returned consumer is told the client id here; {@code elsewhere} is told
   * the ids the other servers changed. The default (a server on its own) tells nobody.
   */
  default java.util.function.Consumer<String> keyChanges(
      java.util.function.Consumer<String> elsewhere) {
    return clientId -> {};
  }

  /** A server on its own: everything stays in this process. */
  static SharedState inProcess() {
    return local -> local;
  }
}
