package dev.authgate.client.bench;

import dev.authgate.client.chat.ChatClient;
import dev.authgate.client.cli.common.DurationConverter;
import dev.authgate.client.cli.common.Failures;
import dev.authgate.client.cli.common.ServerOptions;
import dev.authgate.client.connect.Connector;
import dev.authgate.client.connect.ServerAddress;
import dev.authgate.client.connect.VerifiedConnection;
import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import dev.authgate.protocol.keyfile.Credential;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bench chat}: one room of MEMBERS verified members in this process, SENDERS of them saying
 * RATE messages a second between them on a fixed schedule; every member times each message from the
 * moment it was due to be said to the moment it arrived, so a sender held back by the server shows
 * up as latency, not as a lower rate.
 */
@Command(
    name = "chat",
    mixinStandardHelpOptions = true,
    description =
        "One chat room of --members verified members held by this process; --senders of them say "
            + "--rate messages a second in all, on a fixed schedule. Reports deliveries a second and "
            + "the delivery latency (p50/p99/max, from when each message was due), messages lost, "
            + "members the server dropped as too slow, and how far the senders fell behind. The "
            + "server's session and startup limits apply: raise them on a test server.")
final class BenchChat implements Callable<Integer> {
  /** A message's text: a marker, the sender's sequence number and when it was due (nanoTime). */
  static final String MARK = "bench ";

  @Spec CommandSpec spec;

  @Mixin ServerOptions target;

  @Option(
      names = "--members",
      paramLabel = "N",
      defaultValue = "100",
      description = "Members in the room, senders included (default: ${DEFAULT-VALUE}).")
  int members;

  @Option(
      names = "--senders",
      paramLabel = "N",
      defaultValue = "1",
      description = "Members that speak (default: ${DEFAULT-VALUE}).")
  int senders;

  @Option(
      names = "--rate",
      paramLabel = "PER_SECOND",
      defaultValue = "10",
      description =
          "Messages said a second by all senders together (default: ${DEFAULT-VALUE}); each "
              + "reaches every other member.")
  double rate;

  @Option(
      names = "--duration",
      paramLabel = "DURATION",
      defaultValue = "10s",
      converter = DurationConverter.class,
      description = "How long to say messages, after the warm-up (default: ${DEFAULT-VALUE}).")
  Duration duration;

  @Option(
      names = "--warmup",
      paramLabel = "DURATION",
      defaultValue = "2s",
      converter = DurationConverter.class,
      description =
          "Say messages this long first without counting them (default: ${DEFAULT-VALUE}).")
  Duration warmup;

  @Option(
      names = "--room",
      paramLabel = "ROOM",
      defaultValue = "bench",
      description = "The room (default: ${DEFAULT-VALUE}); the client must be allowed into it.")
  String room;

  @Option(
      names = "--open-threads",
      paramLabel = "N",
      defaultValue = "4",
      description =
          "Members connected concurrently (default: ${DEFAULT-VALUE}, under the server's default "
              + "--per-source-max-startups of 16).")
  int openThreads;

  @Option(
      names = "--sources",
      paramLabel = "ADDR[-ADDR]",
      split = ",",
      description =
          "Local addresses to connect from, in turn (a list, or an IPv4 range "
              + "127.0.0.1-127.0.0.20). Default: the system's choice.")
  List<String> sourceSpecs = new ArrayList<>();

  private List<InetAddress> sources = List.of();

  @Option(names = "--json", description = "One JSON object on stdout instead of sentences.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    if (members < 2 || members > 100_000) {
      throw new IllegalArgumentException("--members must be from 2 to 100000");
    }
    if (senders < 1 || senders > members) {
      throw new IllegalArgumentException("--senders must be from 1 to --members");
    }
    if (!(rate > 0) || rate > 1_000_000) {
      throw new IllegalArgumentException("--rate must be above 0 and at most 1000000");
    }
    sources = Sources.parse(sourceSpecs);
    ServerAddress address = target.address();
    Credential credential = target.credential();
    Connector connector = target.connector(credential, Duration.ofSeconds(30));

    BenchChatMember[] room = new BenchChatMember[members];
    AtomicReference<Exception> firstFailure = new AtomicReference<>();
    int joined = join(connector, address, room, firstFailure);
    if (joined < members) {
      closeAll(room);
      report(null, joined, firstFailure.get());
      return Failures.exitCode(firstFailure.get()).code();
    }
    try {
      Run run = say(room);
      report(run, joined, firstFailure.get());
      return 0;
    } finally {
      closeAll(room);
    }
  }

  /** Connects every member and joins the room; each waits for its own JOINED before counting. */
  private int join(
      Connector connector,
      ServerAddress address,
      BenchChatMember[] room,
      AtomicReference<Exception> firstFailure)
      throws InterruptedException {
    AtomicInteger next = new AtomicInteger();
    List<Thread> openers = new ArrayList<>();
    for (int t = 0; t < openThreads; t++) {
      openers.add(
          Thread.ofVirtual()
              .name("bench-join-" + t)
              .start(
                  () -> {
                    for (int i = next.getAndIncrement(); i < members; i = next.getAndIncrement()) {
                      BenchChatMember member = new BenchChatMember();
                      try {
                        InetAddress from =
                            sources.isEmpty() ? null : sources.get(i % sources.size());
                        VerifiedConnection connection = connector.connect(address, from);
                        member.chat = new ChatClient(connection);
                        member.chat.start(member);
                        member.chat.join(this.room);
                        if (!member.joined.await(30, TimeUnit.SECONDS)) {
                          throw new IOException("no JOINED from the server within 30 s");
                        }
                        if (member.refused != null) {
                          throw new ProtocolException(Reason.NOT_PERMITTED, member.refused);
                        }
                        room[i] = member;
                      } catch (IOException | RuntimeException e) {
                        firstFailure.compareAndSet(null, e);
                        member.closeQuietly();
                      } catch (InterruptedException e) {
                        member.closeQuietly();
                        return;
                      }
                    }
                  }));
    }
    for (Thread opener : openers) {
      opener.join();
    }
    return (int) Arrays.stream(room).filter(m -> m != null).count();
  }

  private record Run(
      long said,
      long expected,
      long delivered,
      long[] latencies,
      double seconds,
      long dropped,
      long maxLagNanos) {}

  /**
   * The senders say messages on a fixed schedule for the warm-up and the duration; then the members
   * get a few seconds to receive what is still on its way.
   */
  private Run say(BenchChatMember[] room) throws InterruptedException {
    long start = System.nanoTime() + 200_000_000L;
    long measureFrom = start + warmup.toNanos();
    long end = measureFrom + duration.toNanos();
    for (BenchChatMember member : room) {
      member.measureFrom = measureFrom;
    }
    double perSender = rate / senders;
    long interval = (long) (1e9 / perSender);
    AtomicLong said = new AtomicLong();
    AtomicLong maxLag = new AtomicLong();
    List<Thread> speakers = new ArrayList<>();
    for (int s = 0; s < senders; s++) {
      BenchChatMember sender = room[s];
      // Senders are spread over the interval so the room hears an even stream.
      long offset = interval * s / senders;
      speakers.add(
          Thread.ofVirtual()
              .name("bench-say-" + s)
              .start(
                  () -> {
                    long sequence = 0;
                    for (long due = start + offset; due < end; due += interval) {
                      long wait = due - System.nanoTime();
                      if (wait <= 0) {
                        maxLag.accumulateAndGet(-wait, Math::max);
                      } else if (!HeldSessions.sleepUntil(due)) {
                        return; // interrupted
                      }
                      try {
                        sender.chat.say(MARK + sequence++ + " " + due);
                      } catch (IOException e) {
                        return;
                      }
                      if (due >= measureFrom) {
                        said.incrementAndGet();
                      }
                    }
                  }));
    }
    for (Thread speaker : speakers) {
      speaker.join();
    }
    long expected = said.get() * (members - 1);
    long settle = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < settle && delivered(room) < expected) {
      Thread.sleep(20);
    }
    double seconds = duration.toNanos() / 1e9;
    long dropped = Arrays.stream(room).filter(m -> m.ended.get() != null).count();
    long[] all =
        Arrays.stream(room)
            .map(BenchChatMember::latencies)
            .flatMapToLong(Arrays::stream)
            .sorted()
            .toArray();
    return new Run(said.get(), expected, delivered(room), all, seconds, dropped, maxLag.get());
  }

  private static long delivered(BenchChatMember[] room) {
    long sum = 0;
    for (BenchChatMember member : room) {
      sum += member.counted.get();
    }
    return sum;
  }

  private static void closeAll(BenchChatMember[] room) {
    for (BenchChatMember member : room) {
      if (member != null) {
        member.closeQuietly();
      }
    }
  }

  private void report(Run run, int joined, Exception firstFailure) {
    PrintWriter out = spec.commandLine().getOut();
    if (run == null) {
      out.printf(
          Locale.ROOT, "only %d of %d members could join; nothing measured%n", joined, members);
    } else {
      long[] l = run.latencies();
      double perSecond = run.delivered() / run.seconds();
      if (json) {
        out.printf(
            Locale.ROOT,
            "{\"benchmark\":\"chat\",\"members\":%d,\"senders\":%d,\"rate\":%.1f,\"seconds\":%.1f,"
                + "\"said\":%d,\"expected\":%d,\"delivered\":%d,\"lost\":%d,"
                + "\"delivered_per_second\":%.0f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,"
                + "\"dropped_members\":%d,\"sender_max_lag_ms\":%.3f}%n",
            members,
            senders,
            rate,
            run.seconds(),
            run.said(),
            run.expected(),
            run.delivered(),
            Math.max(0, run.expected() - run.delivered()),
            perSecond,
            BenchCommand.millis(l, 0.50),
            BenchCommand.millis(l, 0.99),
            BenchCommand.millis(l, 1.0),
            run.dropped(),
            run.maxLagNanos() / 1e6);
      } else {
        out.printf(
            Locale.ROOT,
            "%d members, %d senders, %.0f messages/s for %.0f s: %d of %d deliveries (%.0f/s), %d"
                + " lost; latency from due time p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
            members,
            senders,
            rate,
            run.seconds(),
            run.delivered(),
            run.expected(),
            perSecond,
            Math.max(0, run.expected() - run.delivered()),
            BenchCommand.millis(l, 0.50),
            BenchCommand.millis(l, 0.99),
            BenchCommand.millis(l, 1.0));
        out.printf(
            Locale.ROOT,
            "%d members ended early (dropped as too slow or disconnected); senders fell at most %.1f ms behind schedule%n",
            run.dropped(),
            run.maxLagNanos() / 1e6);
      }
    }
    out.flush();
    BenchCommand.reportFirstFailure(spec, firstFailure);
  }
}
