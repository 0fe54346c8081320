package dev.authgate.server.cluster;

import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.audit.AuditLog;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;

/**
 * The servers' "alive" messages, every second each, and "gone" when one stops; and the "here"
 * message that gives away a second process started with this server's {@code --server-id}.
 */
final class ClusterLiveness implements ClusterPart {
  private static final Logger LOG = LoggerFactory.getLogger(RedisCluster.class);

  /** How long a server counts as alive after its last "alive" (it says so every second). */
  static final Duration ALIVE = Duration.ofSeconds(5);

  private final RedisCluster cluster;
  private final RedisTarget target;
  private final String instance;
  private final AuditLog audit;
  private final String processNonce = HexFormat.of().formatHex(RandomSource.secure().bytes(8));
  private final AtomicBoolean duplicateReported = new AtomicBoolean();
  private final Map<String, Long> lastSeen = new ConcurrentHashMap<>();

  ClusterLiveness(RedisCluster cluster, RedisTarget target, String instance, AuditLog audit) {
    this.cluster = cluster;
    this.target = target;
    this.instance = instance;
    this.audit = audit;
  }

  @Override
  public String channel() {
    return cluster.name("instances");
  }

  @Override
  public void onMessage(String message) {
    ClusterPart.fields(
        message,
        2,
        f -> {
          if (f[1].equals("alive")) {
            seen(f[0]);
          } else if (f[1].equals("gone")) {
            lastSeen.remove(f[0]);
          }
        });
    ClusterPart.fields(
        message,
        3,
        f -> {
          if (f[1].equals("here")
              && f[0].equals(cluster.instanceName())
              && !f[2].equals(processNonce)) {
            sameServerIdElsewhere();
          }
        });
  }

  @Override
  public void resync(Jedis redis) {
    redis.publish(channel(), cluster.instanceName() + " alive");
  }

  @Override
  public void heartbeat(Jedis redis) {
    redis.publish(channel(), cluster.instanceName() + " alive");
    // (a second message, which servers that do not know it ignore): who this process is, so a
    // second server started with the same --server-id is noticed.
    redis.publish(channel(), cluster.instanceName() + " here " + processNonce);
  }

  /** Says this server stops, so the others stop counting it at once. */
  void gone(Jedis redis) {
    redis.publish(channel(), cluster.instanceName() + " gone");
  }

  /**
   * Whether the server {@code name} was heard from within {@link #ALIVE} (it says so every second)
   * and Redis is reachable now: what the others count only while both hold.
   */
  boolean alive(String name) {
    Long seen = lastSeen.get(name);
    return cluster.connected()
        && seen != null
        && cluster.clock().millis() - seen <= ALIVE.toMillis();
  }

  /** Notes that the server {@code name} was heard from now. */
  void seen(String name) {
    lastSeen.put(name, cluster.clock().millis());
  }

  /**
   * Another process says it is this server (the same {@code --server-id}): chat members and session
   * counts keyed by it would be mixed up between the two. Said loudly, once: an error on stderr and
   * {@code cluster.duplicate_server_id} in the audit log.
   */
  private void sameServerIdElsewhere() {
    if (duplicateReported.compareAndSet(false, true)) {
      LOG.error(
          "another server linked to {} uses the same --server-id '{}': the servers' chat rooms and"
              + " session counts are mixed up until each has its own --server-id",
          target,
          instance);
      audit.record(
          AuditEvent.of(AuditEventType.CLUSTER_DUPLICATE_SERVER_ID)
              .with("server_id", instance)
              .with("redis", target.toString()));
    }
  }
}
