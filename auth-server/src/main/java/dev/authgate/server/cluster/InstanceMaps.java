package dev.authgate.server.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * One small map per server that every other server can see: this server's sessions per client, or
 * its chat rooms' members. Each server owns a hash {@code authgate:DB:NAME:INSTANCE}, which expires
 * {@link #KEPT} after the server last refreshed it (so a server that died takes its entries with
 * it), and publishes each change on channel {@code authgate:DB:NAME} as {@code INSTANCE FIELD
 * VALUE} (an empty value removes the field). Every server keeps the others' maps in memory and
 * answers from them; a server counts only while {@link RedisCluster#alive} says it lives, and
 * nobody else counts while Redis is away.
 */
final class InstanceMaps implements ClusterPart {
  /** How long a server's hash outlives its last refresh. */
  static final Duration KEPT = Duration.ofSeconds(10);

  private static final String PUT =
      """
      if ARGV[2] == '' then
        redis.call('HDEL', KEYS[1], ARGV[1])
      else
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
      end
      redis.call('PEXPIRE', KEYS[1], ARGV[3])
      redis.call('PUBLISH', ARGV[4], ARGV[5])
      return 1
      """;

  /** The field that, in a message, clears the sender's whole map (no client id or room is "*"). */
  private static final String CLEAR = "*";

  private final RedisCluster cluster;
  private final String channel;
  private final String prefix;
  private final String mine;
  private final Supplier<Map<String, String>> local;
  private final Map<String, Map<String, String>> others = new ConcurrentHashMap<>();

  /**
   * @param name what the maps hold, e.g. {@code sessions}
   * @param local this server's whole map now, for a re-sync
   */
  InstanceMaps(RedisCluster cluster, String name, Supplier<Map<String, String>> local) {
    this.cluster = cluster;
    this.channel = cluster.name(name);
    this.prefix = cluster.name(name + ":");
    this.mine = cluster.instanceName();
    this.local = local;
  }

  /** Sets {@code field} of this server's map to {@code value} ("" removes it); returns at once. */
  void put(String field, String value) {
    String message = mine + " " + field + " " + value;
    cluster.submit(
        redis ->
            redis.eval(
                PUT,
                List.of(prefix + mine),
                List.of(field, value, Long.toString(KEPT.toMillis()), channel, message)));
  }

  /** The maps of the other servers alive now (none while Redis is away). */
  List<Map<String, String>> others() {
    List<Map<String, String>> live = new ArrayList<>();
    others.forEach(
        (instance, map) -> {
          if (cluster.alive(instance)) {
            live.add(map);
          }
        });
    return live;
  }

  /** Forgets a server that said it stopped. */
  void forget(String instance) {
    others.remove(instance);
  }

  @Override
  public String channel() {
    return channel;
  }

  @Override
  public void onMessage(String message) {
    String[] f = message.split(" ", 3);
    if (f.length != 3 || f[0].equals(mine)) {
      return;
    }
    Map<String, String> map = others.computeIfAbsent(f[0], i -> new ConcurrentHashMap<>());
    if (f[1].equals(CLEAR)) {
      map.clear();
    } else if (f[2].isEmpty()) {
      map.remove(f[1]);
    } else {
      map.put(f[1], f[2]);
    }
  }

  @Override
  public void heartbeat(Jedis redis) {
    redis.pexpire(prefix + mine, KEPT.toMillis());
  }

  @Override
  public void resync(Jedis redis) {
    Map<String, String> now = local.get();
    redis.del(prefix + mine);
    if (!now.isEmpty()) {
      redis.hset(prefix + mine, now);
      redis.pexpire(prefix + mine, KEPT.toMillis());
    }
    // The servers that never lost Redis hear this server's whole map again, in place of what they
    // last heard from it.
    redis.publish(channel, mine + " " + CLEAR + " ");
    for (Map.Entry<String, String> entry : now.entrySet()) {
      redis.publish(channel, mine + " " + entry.getKey() + " " + entry.getValue());
    }
    Map<String, Map<String, String>> loaded = new HashMap<>();
    ScanParams params = new ScanParams().match(prefix + "*").count(500);
    String cursor = ScanParams.SCAN_POINTER_START;
    do {
      ScanResult<String> page = redis.scan(cursor, params);
      cursor = page.getCursor();
      for (String key : page.getResult()) {
        String instance = key.substring(prefix.length());
        if (!instance.equals(mine)) {
          loaded.put(instance, new ConcurrentHashMap<>(redis.hgetAll(key)));
          cluster.seen(instance);
        }
      }
    } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
    others.keySet().retainAll(loaded.keySet());
    others.putAll(loaded);
  }
}
