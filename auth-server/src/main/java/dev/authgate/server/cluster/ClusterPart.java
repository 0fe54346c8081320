package dev.authgate.server.cluster;

import java.util.function.Consumer;
import redis.clients.jedis.Jedis;

/** A part of the shared state: told about messages and asked to re-sync after an outage. */
interface ClusterPart {
  /** The pub/sub channel this part listens on. */
  String channel();

  /** A message on {@link #channel()}; called on the subscriber thread, must not block. */
  void onMessage(String message);

  /** Pushes what only this server knows and loads what the others know; on the I/O thread. */
  void resync(Jedis redis);

  /** Refreshes what must not expire while this server lives; every second, on the I/O thread. */
  default void heartbeat(Jedis redis) {}

  /** For parts: runs {@code action} for every message field, split on spaces. */
  static void fields(String message, int count, Consumer<String[]> action) {
    String[] parts = message.split(" ", -1);
    if (parts.length == count) {
      action.accept(parts);
    }
  }
}
