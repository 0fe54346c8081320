package dev.authgate.server.cluster;

import dev.authgate.protocol.Reason;
import dev.authgate.server.defence.PenaltyStore;
import dev.authgate.server.defence.PenaltyTable;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * Penalties shared by every server of a cluster. Each failure is added here at once (so this server
 * refuses the source without waiting for anyone) and then, on the I/O thread, to the source's
 * shared entry in Redis by a script that adds the weight there — so failures spread over several
 * servers add up as on one — sets the key to expire when the penalty ends, and publishes the new
 * end; every server merges what it hears into its own table (the later end wins). Accept decisions
 * read only the local table.
 *
 * <p>Keys: {@code authgate:DB:penalty:SOURCE} holding the end in epoch milliseconds, expiring then;
 * at most one per source penalised within {@link dev.authgate.server.defence.PenaltyPolicy#max()}.
 * After an outage, the re-sync pushes every penalty still running here and loads every one in
 * Redis, so a source penalised on one server while Redis was down is refused everywhere within a
 * second of its return.
 */
final class RedisPenalties implements PenaltyStore, ClusterPart {
  /** Adds ARGV[1] ms to the penalty in KEYS[1] (from now if it ran out), capped at ARGV[2]. */
  private static final String ADD =
      """
      local now = tonumber(ARGV[3])
      local current = tonumber(redis.call('GET', KEYS[1]) or '0')
      local from = math.max(current, now)
      local finish = math.min(from + tonumber(ARGV[1]), now + tonumber(ARGV[2]))
      redis.call('SET', KEYS[1], finish, 'PXAT', finish)
      redis.call('PUBLISH', ARGV[4], ARGV[5] .. ' ' .. ARGV[6] .. ' ' .. finish)
      return finish
      """;

  /** Sets the penalty in KEYS[1] to end at ARGV[1] unless it ends later already. */
  private static final String MERGE =
      """
      local current = tonumber(redis.call('GET', KEYS[1]) or '0')
      local finish = tonumber(ARGV[1])
      if finish > current then
        redis.call('SET', KEYS[1], finish, 'PXAT', finish)
        redis.call('PUBLISH', ARGV[2], ARGV[3] .. ' ' .. ARGV[4] .. ' ' .. finish)
      end
      return math.max(finish, current)
      """;

  private static final int SCAN_BATCH = 500;

  private final PenaltyTable local;
  private final RedisCluster cluster;
  private final String channel;
  private final String keyPrefix;

  RedisPenalties(PenaltyTable local, RedisCluster cluster) {
    this.local = local;
    this.cluster = cluster;
    this.channel = cluster.name("penalties");
    this.keyPrefix = cluster.name("penalty:");
  }

  @Override
  public String source(InetAddress address) {
    return local.source(address);
  }

  @Override
  public void penalize(InetAddress address, Reason reason) {
    Duration weight = local.penalizeAndTell(address, reason);
    if (weight.isZero()) {
      return;
    }
    String source = local.source(address);
    long max = local.policy().max().toMillis();
    cluster.submit(
        redis -> {
          Object end =
              redis.eval(
                  ADD,
                  List.of(keyPrefix + source),
                  List.of(
                      Long.toString(weight.toMillis()),
                      Long.toString(max),
                      Long.toString(cluster.clock().millis()),
                      channel,
                      cluster.instanceName(),
                      source));
          if (end instanceof Long millis) {
            local.merge(source, Instant.ofEpochMilli(millis));
          }
        });
  }

  @Override
  public Optional<Duration> refusal(InetAddress address) {
    return local.refusal(address);
  }

  @Override
  public int penalizedSources() {
    return local.penalizedSources();
  }

  @Override
  public String channel() {
    return channel;
  }

  /** {@code INSTANCE SOURCE END_MILLIS}, published by a server (maybe this one). */
  @Override
  public void onMessage(String message) {
    ClusterPart.fields(
        message,
        3,
        f -> {
          if (f[1].length() <= 64) {
            local.merge(f[1], Instant.ofEpochMilli(Long.parseLong(f[2])));
          }
        });
  }

  @Override
  public void resync(Jedis redis) {
    for (Map.Entry<String, Instant> running : local.active().entrySet()) {
      redis.eval(
          MERGE,
          List.of(keyPrefix + running.getKey()),
          List.of(
              Long.toString(running.getValue().toEpochMilli()),
              channel,
              cluster.instanceName(),
              running.getKey()));
    }
    ScanParams params = new ScanParams().match(keyPrefix + "*").count(SCAN_BATCH);
    String cursor = ScanParams.SCAN_POINTER_START;
    int seen = 0;
    int most = local.policy().maxSources();
    do {
      ScanResult<String> page = redis.scan(cursor, params);
      cursor = page.getCursor();
      List<String> keys = new ArrayList<>(page.getResult());
      if (!keys.isEmpty()) {
        List<String> ends = redis.mget(keys.toArray(String[]::new));
        for (int i = 0; i < keys.size(); i++) {
          String end = ends.get(i);
          if (end != null) {
            try {
              local.merge(
                  keys.get(i).substring(keyPrefix.length()),
                  Instant.ofEpochMilli(Long.parseLong(end)));
            } catch (NumberFormatException ignored) {
              // Not ours, or damaged: the key expires by itself.
            }
          }
        }
      }
      seen += keys.size();
    } while (!cursor.equals(ScanParams.SCAN_POINTER_START) && seen < most);
  }
}
