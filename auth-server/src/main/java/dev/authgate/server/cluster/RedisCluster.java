package dev.authgate.server.cluster;

import dev.authgate.server.audit.AuditLog;
import dev.authgate.server.chat.ChatBus;
import dev.authgate.server.chat.ChatRooms;
import dev.authgate.server.connection.SessionRegistry;
import dev.authgate.server.connection.SharedState;
import dev.authgate.server.defence.PenaltyStore;
import dev.authgate.server.defence.PenaltyTable;
import java.io.Closeable;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.exceptions.JedisException;

/**
 * One server's link to the Redis its cluster shares: {@link SharedState} through Redis.
 *
 * <p>Two threads own the two connections. The I/O thread runs every command — work handed to it
 * through {@link #submit} (a bounded queue: past {@link #MAX_PENDING} waiting tasks, new ones are
 * dropped and counted, the local tables already hold what they carried), a heartbeat every second,
 * and the re-sync when Redis comes (back). The subscriber thread holds the pub/sub connection and
 * hands each message to the listeners, which only update memory.
 *
 * <p>Health is reported on transitions only: {@code cluster.degraded} (audit log, and a warning on
 * stderr) when Redis is lost, {@code cluster.connected} when it is reached and re-synced, so a
 * flapping Redis costs one line per change, not one per failed command. While degraded, work that
 * needs Redis is skipped at once rather than waiting out a timeout; the subscriber retries with a
 * backoff of 0.5 s doubling to 5 s.
 */
public final class RedisCluster implements SharedState, Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(RedisCluster.class);

  /** Most commands that may wait for the I/O thread. */
  static final int MAX_PENDING = 10_000;

  private static final Duration TIMEOUT = Duration.ofSeconds(1);
  private static final Duration HEARTBEAT = Duration.ofSeconds(1);
  private static final Duration SUBSCRIBER_TIMEOUT = Duration.ofSeconds(4);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

  private final RedisTarget target;
  private final String instance;
  private final Clock clock;
  private final JedisClientConfig commandConfig;
  private final JedisClientConfig subscriberConfig;
  private final ScheduledExecutorService io;
  private final AtomicInteger pending = new AtomicInteger();
  private final AtomicLong dropped = new AtomicLong();
  private final List<ClusterPart> parts = new CopyOnWriteArrayList<>();
  private final ClusterLiveness liveness;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Thread subscriberThread;
  private final ClusterHealth health;
  private volatile JedisPubSub subscription;
  private Jedis command;

  private RedisCluster(RedisTarget target, String instance, AuditLog audit, Clock clock) {
    this.target = target;
    this.instance = instance;
    this.clock = clock;
    this.commandConfig = target.clientConfig(TIMEOUT, TIMEOUT, "authgate-" + instance);
    this.subscriberConfig =
        target.clientConfig(TIMEOUT, SUBSCRIBER_TIMEOUT, "authgate-" + instance + "-sub");
    ScheduledThreadPoolExecutor executor =
        new ScheduledThreadPoolExecutor(
            1, r -> Thread.ofPlatform().name("authgate-redis-io").daemon(true).unstarted(r));
    executor.setRemoveOnCancelPolicy(true);
    this.io = executor;
    this.subscriberThread =
        Thread.ofPlatform().name("authgate-redis-sub").daemon(true).unstarted(this::subscribe);
    this.health = new ClusterHealth(target, instance, audit, clock);
    this.liveness = new ClusterLiveness(this, target, instance, audit);
    parts.add(liveness);
  }

  /**
   * Starts linking this server to {@code target} and returns at once: a Redis that is not there yet
   * is reported as {@code cluster.degraded} and retried; the server serves from its own tables
   * meanwhile.
   *
   * @param instance this server's name among its peers (its server id); shown in Redis's client
   *     list and in each message it publishes
   */
  public static RedisCluster start(
      RedisTarget target, String instance, AuditLog audit, Clock clock) {
    RedisCluster cluster = new RedisCluster(target, instance, audit, clock);
    cluster.io.scheduleWithFixedDelay(
        cluster::heartbeat, HEARTBEAT.toMillis(), HEARTBEAT.toMillis(), TimeUnit.MILLISECONDS);
    cluster.subscriberThread.start();
    return cluster;
  }

  @Override
  public PenaltyStore penalties(PenaltyTable local) {
    RedisPenalties penalties = new RedisPenalties(local, this);
    attach(penalties);
    return penalties;
  }

  @Override
  public SessionRegistry sessions(Supplier<Map<String, Integer>> local) {
    return new RedisSessions(this, local);
  }

  @Override
  public ChatBus chat(ChatRooms rooms) {
    RedisChat chat = new RedisChat(this, rooms, rooms.historySize());
    attach(chat);
    return chat;
  }

  @Override
  public Consumer<String> keyChanges(Consumer<String> elsewhere) {
    RedisKeyChanges changes = new RedisKeyChanges(this, elsewhere);
    attach(changes);
    return changes::changed;
  }

  /** Adds a part before or after the link is up; it is re-synced at the next (re)connection. */
  void attach(ClusterPart part) {
    parts.add(part);
    // Subscribed before this part existed: subscribe again to take its channel in.
    unsubscribe();
  }

  /**
   * Ends the current subscription, if any: the subscriber thread subscribes again unless closed.
   */
  private void unsubscribe() {
    JedisPubSub now = subscription;
    if (now != null && now.isSubscribed()) {
      try {
        now.unsubscribe();
      } catch (RuntimeException ignored) {
        // The subscriber notices on its own.
      }
    }
  }

  /** The pub/sub channel or key named {@code suffix}, in this cluster's database's name space. */
  String name(String suffix) {
    return "authgate:" + target.database() + ":" + suffix;
  }

  /** The clock shared parts compare penalty ends against. */
  Clock clock() {
    return clock;
  }

  /** This server's name in messages: its instance name with no spaces. */
  String instanceName() {
    return instance.replace(' ', '_');
  }

  /**
   * Whether the server {@code name} was heard from lately and Redis is reachable now: what the
   * others count only while both hold.
   */
  boolean alive(String name) {
    return liveness.alive(name);
  }

  /** Notes that the server {@code name} was heard from now. */
  void seen(String name) {
    liveness.seen(name);
  }

  /** Whether Redis is reachable and re-synced now. */
  public boolean connected() {
    return health.connected();
  }

  /** Commands dropped because the I/O thread's queue was full, since start. */
  public long droppedCommands() {
    return dropped.get();
  }

  /**
   * Runs {@code work} on the I/O thread if Redis is reachable; otherwise (or if the queue is full)
   * drops it at once. Never blocks.
   */
  void submit(Consumer<Jedis> work) {
    if (!health.connected() || closed.get()) {
      return;
    }
    if (pending.incrementAndGet() > MAX_PENDING) {
      pending.decrementAndGet();
      dropped.incrementAndGet();
      return;
    }
    io.execute(
        () -> {
          pending.decrementAndGet();
          runCommand(work);
        });
  }

  private void runCommand(Consumer<Jedis> work) {
    if (!health.connected() || closed.get()) {
      return;
    }
    try {
      work.accept(commandConnection());
    } catch (RuntimeException e) {
      lost(e);
    }
  }

  private Jedis commandConnection() {
    if (command == null || !command.isConnected()) {
      closeCommand();
      command = new Jedis(new HostAndPort(target.host(), target.port()), commandConfig);
      command.ping();
    }
    return command;
  }

  private void closeCommand() {
    if (command != null) {
      try {
        command.close();
      } catch (RuntimeException ignored) {
        // The connection was broken already.
      }
      command = null;
    }
  }

  private void heartbeat() {
    if (!health.connected() || closed.get()) {
      return;
    }
    try {
      Jedis redis = commandConnection();
      for (ClusterPart part : parts) {
        part.heartbeat(redis);
      }
      JedisPubSub now = subscription;
      if (now != null && now.isSubscribed()) {
        // Keeps the subscriber's read from timing out while the cluster is quiet; a Redis that
        // stopped answering is noticed by that timeout.
        now.ping();
      }
    } catch (JedisException e) {
      lost(e);
    } catch (RuntimeException e) {
      LOG.debug("redis heartbeat: {}", e.toString());
    }
  }

  /** Called on the I/O thread when a command failed: Redis is lost until the subscriber is back. */
  private void lost(RuntimeException e) {
    closeCommand();
    health.degraded(e);
    unsubscribe();
  }

  /** The subscriber thread: (re)subscribes until closed. */
  private void subscribe() {
    long backoff = 500;
    while (!closed.get()) {
      try (Jedis redis =
          new Jedis(new HostAndPort(target.host(), target.port()), subscriberConfig)) {
        redis.ping();
        if (closed.get()) {
          return;
        }
        List<String> channels = channels();
        Listener listener = new Listener(channels);
        subscription = listener;
        redis.subscribe(listener, channels.toArray(String[]::new));
        backoff = 500;
        // Returned because a part was attached, or the I/O thread lost Redis: go round again.
      } catch (RuntimeException e) {
        // JedisException mostly; anything else (a client bug) must not end the thread either.
        if (closed.get()) {
          return;
        }
        health.degraded(e);
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoff);
        while (until > System.nanoTime() && !closed.get() && !subscriberThread.isInterrupted()) {
          LockSupport.parkNanos(until - System.nanoTime()); // the whole backoff, unless closed
        }
        backoff = Math.min(MAX_BACKOFF.toMillis(), backoff * 2);
      }
    }
  }

  /** Pub/sub messages for the parts; once all channels are subscribed, a re-sync is queued. */
  private List<String> channels() {
    return parts.stream().map(ClusterPart::channel).distinct().sorted().toList();
  }

  private final class Listener extends JedisPubSub {
    private final List<String> channels;

    Listener(List<String> channels) {
      this.channels = channels;
    }

    @Override
    public void onSubscribe(String channel, int subscribedChannels) {
      if (subscribedChannels < channels.size()) {
        return;
      }
      if (!channels.equals(channels())) {
        // A part was attached while this subscription was being made: subscribe again, with its
        // channel, before re-syncing anything.
        unsubscribe();
        return;
      }
      io.execute(this::resync);
    }

    private void resync() {
      if (closed.get()) {
        return;
      }
      try {
        Jedis redis = commandConnection();
        for (ClusterPart part : parts) {
          part.resync(redis);
        }
      } catch (RuntimeException e) {
        if (!(e instanceof JedisException)) {
          LOG.warn("re-sync with {} failed: {}", target, e.toString());
        }
        lost(e);
        return;
      }
      health.resynced();
    }

    @Override
    public void onMessage(String channel, String message) {
      for (ClusterPart part : parts) {
        if (part.channel().equals(channel)) {
          try {
            part.onMessage(message);
          } catch (RuntimeException e) {
            LOG.warn("ignored a message on {}: {}", channel, e.toString());
          }
        }
      }
    }
  }

  /** Stops both threads and closes both connections; the server runs on alone. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    LockSupport.unpark(subscriberThread);
    boolean wasConnected = health.close();
    unsubscribe();
    if (wasConnected) {
      io.execute(
          () -> {
            try {
              liveness.gone(commandConnection());
            } catch (RuntimeException ignored) {
              // The others notice within seconds anyway.
            }
          });
    }
    io.execute(this::closeCommand);
    io.shutdown();
    try {
      if (!io.awaitTermination(2, TimeUnit.SECONDS)) {
        io.shutdownNow();
      }
      subscriberThread.join(Duration.ofSeconds(2));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
