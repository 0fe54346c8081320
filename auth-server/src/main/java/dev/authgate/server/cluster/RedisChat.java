package dev.authgate.server.cluster;

import dev.authgate.protocol.session.ChatMessage.Event;
import dev.authgate.server.chat.ChatBus;
import dev.authgate.server.chat.ChatRooms;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import redis.clients.jedis.Jedis;

/**
 * Chat rooms that span the servers of a cluster. What a member here does is published on one
 * channel by the I/O thread, in the order the room took it, so each sender's messages reach every
 * other server in order; each server relays what it hears from the others to its own members (its
 * own messages it already delivered). A message is also appended to the room's shared history, a
 * Redis list trimmed to the history size and forgotten a day after the room's last message; a room
 * that gets its first member here starts from that history.
 *
 * <p>Wire format on the channel: {@code INSTANCE KIND TIMESTAMP ROOM FROM TEXT}, space separated,
 * the text last and taken whole (it may contain spaces and newlines); room names and client ids
 * never contain spaces. In a history entry, {@code TIMESTAMP FROM TEXT}.
 */
final class RedisChat implements ChatBus, ClusterPart {
  private static final String SAY =
      """
      redis.call('RPUSH', KEYS[1], ARGV[1])
      redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
      redis.call('PEXPIRE', KEYS[1], ARGV[3])
      redis.call('PUBLISH', ARGV[4], ARGV[5])
      return 1
      """;

  private static final Duration HISTORY_KEPT = Duration.ofDays(1);
  private static final Duration HISTORY_WAIT = Duration.ofSeconds(1);

  private final RedisCluster cluster;
  private final ChatRooms rooms;
  private final int historySize;
  private final String channel;
  private final String instance;
  private final InstanceMaps presence;

  RedisChat(RedisCluster cluster, ChatRooms rooms, int historySize) {
    this.cluster = cluster;
    this.rooms = rooms;
    this.historySize = historySize;
    this.channel = cluster.name("chat");
    this.instance = cluster.instanceName();
    this.presence = new InstanceMaps(cluster, "members", rooms::members);
    cluster.attach(presence);
  }

  @Override
  public void members(String room, java.util.function.Supplier<String> ids) {
    presence.put(room, ids.get());
  }

  @Override
  public List<String> membersElsewhere(String room) {
    List<String> ids = new ArrayList<>();
    for (java.util.Map<String, String> other : presence.others()) {
      String list = other.get(room);
      if (list != null && !list.isEmpty()) {
        ids.addAll(List.of(list.split(",")));
      }
    }
    return ids;
  }

  @Override
  public java.util.Map<String, Integer> roomsElsewhere() {
    java.util.Map<String, Integer> counts = new java.util.TreeMap<>();
    for (java.util.Map<String, String> other : presence.others()) {
      other.forEach(
          (room, list) -> {
            if (!list.isEmpty()) {
              counts.merge(room, list.split(",").length, Integer::sum);
            }
          });
    }
    return counts;
  }

  private String historyKey(String room) {
    return cluster.name("history:" + room);
  }

  @Override
  public void publish(Event event) {
    String message =
        instance
            + " "
            + event.kind().name()
            + " "
            + event.timestamp()
            + " "
            + event.room()
            + " "
            + event.from()
            + " "
            + event.text();
    if (event.kind() != Event.Kind.MESSAGE || historySize == 0) {
      cluster.submit(redis -> redis.publish(channel, message));
      return;
    }
    String entry = event.timestamp() + " " + event.from() + " " + event.text();
    cluster.submit(
        redis ->
            redis.eval(
                SAY,
                List.of(historyKey(event.room())),
                List.of(
                    entry,
                    Integer.toString(historySize),
                    Long.toString(HISTORY_KEPT.toMillis()),
                    channel,
                    message)));
  }

  @Override
  public List<Event> history(String room) {
    if (historySize == 0 || !cluster.connected()) {
      return List.of();
    }
    CompletableFuture<List<String>> entries = new CompletableFuture<>();
    cluster.submit(redis -> entries.complete(redis.lrange(historyKey(room), 0, -1)));
    List<String> lines;
    try {
      lines = entries.get(HISTORY_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException | ExecutionException e) {
      return List.of();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return List.of();
    }
    List<Event> history = new ArrayList<>();
    for (String line : lines) {
      String[] f = line.split(" ", 3);
      if (f.length == 3) {
        try {
          history.add(new Event(Event.Kind.MESSAGE, Long.parseLong(f[0]), room, f[1], f[2]));
        } catch (IllegalArgumentException damaged) {
          // Skipped: the rest of the history still counts.
        }
      }
    }
    return history;
  }

  @Override
  public String channel() {
    return channel;
  }

  @Override
  public void onMessage(String message) {
    String[] f = message.split(" ", 6);
    if (f.length != 6 || f[0].equals(instance)) {
      return; // damaged, or this server's own (already delivered here)
    }
    Event.Kind kind = Event.Kind.valueOf(f[1]);
    if (kind != Event.Kind.MESSAGE && kind != Event.Kind.JOINED && kind != Event.Kind.LEFT) {
      return;
    }
    rooms.relay(new Event(kind, Long.parseLong(f[2]), f[3], f[4], f[5]));
  }

  @Override
  public void resync(Jedis redis) {
    // Nothing to push: messages said while Redis was away stayed on their server, as documented.
  }
}
