package dev.authgate.server.cluster;

import dev.authgate.protocol.keyfile.ClientIds;
import java.util.Objects;
import java.util.function.Consumer;
import redis.clients.jedis.Jedis;

/**
 * A client's keys file changed on one server in a way the others must act on at once, not at their
 * next look at the shared keystore: a copied credential locked the client id, so every server ends
 * that client's sessions now. Published as {@code INSTANCE CLIENT-ID} on {@code authgate:DB:keys};
 * the keystore file stays the truth (a server told reads it), so a lost message costs only the wait
 * for the next poll.
 */
final class RedisKeyChanges implements ClusterPart {
  private final RedisCluster cluster;
  private final String channel;
  private final Consumer<String> elsewhere;

  RedisKeyChanges(RedisCluster cluster, Consumer<String> elsewhere) {
    this.cluster = cluster;
    this.channel = cluster.name("keys");
    this.elsewhere = Objects.requireNonNull(elsewhere);
  }

  /** Tells the other servers that {@code clientId}'s file changed here. */
  void changed(String clientId) {
    String message = cluster.instanceName() + " " + clientId;
    cluster.submit(redis -> redis.publish(channel, message));
  }

  @Override
  public String channel() {
    return channel;
  }

  @Override
  public void onMessage(String message) {
    ClusterPart.fields(
        message,
        2,
        f -> {
          // Its own message comes back too; an id that is not one is a damaged message.
          if (!f[0].equals(cluster.instanceName()) && ClientIds.isValid(f[1])) {
            elsewhere.accept(f[1]);
          }
        });
  }

  @Override
  public void resync(Jedis redis) {
    // Nothing to push: the keystore directory holds every change.
  }
}
