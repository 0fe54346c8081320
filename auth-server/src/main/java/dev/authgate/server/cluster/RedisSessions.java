package dev.authgate.server.cluster;

import dev.authgate.server.connection.SessionRegistry;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Verified sessions per client counted over every server of the cluster, so {@code
 * --max-sessions-per-client} holds for the cluster as a whole: each server publishes its own count
 * of a client when it changes ({@link InstanceMaps}, field the client id, value the count) and adds
 * the others' counts when it admits a session. The others' counts are as fresh as the last message
 * heard (milliseconds on a LAN), so servers admitting the same client at the same instant may
 * together overshoot the cap by one session each; while Redis is away each server caps only its
 * own.
 */
final class RedisSessions implements SessionRegistry {
  private final InstanceMaps maps;

  RedisSessions(RedisCluster cluster, Supplier<Map<String, Integer>> local) {
    this.maps =
        new InstanceMaps(
            cluster,
            "sessions",
            () -> {
              Map<String, String> text = new java.util.HashMap<>();
              local.get().forEach((client, count) -> text.put(client, Integer.toString(count)));
              return text;
            });
    cluster.attach(maps);
  }

  @Override
  public int elsewhere(String clientId) {
    int sum = 0;
    for (Map<String, String> other : maps.others()) {
      String count = other.get(clientId);
      if (count != null) {
        try {
          sum += Integer.parseInt(count);
        } catch (NumberFormatException ignored) {
          // Damaged: counts as none.
        }
      }
    }
    return sum;
  }

  @Override
  public void changed(String clientId, int here) {
    maps.put(clientId, here == 0 ? "" : Integer.toString(here));
  }
}
