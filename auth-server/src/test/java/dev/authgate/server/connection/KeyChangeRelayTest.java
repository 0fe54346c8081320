package dev.authgate.server.connection;

import static org.assertj.core.api.Assertions.assertThat;

import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.server.defence.PenaltyStore;
import dev.authgate.server.defence.PenaltyTable;
import dev.authgate.server.keystore.KeystoreDirectory;
import dev.authgate.server.keystore.LiveKeystore;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What another server of a cluster says about a client's keys file (over Redis's {@code keys}
 * channel, which any server of the cluster, or anyone who can publish to that Redis, writes to):
 * only ids this server knows are reread, each once however often it is named while a reread is due,
 * and never on the subscriber's thread; a change made here ends sessions here and is told to the
 * others.
 */
class KeyChangeRelayTest {
  @TempDir Path dir;

  /** Runs nothing until told: what the relay hands to the server's executor waits here. */
  private final ArrayDeque<Runnable> queued = new ArrayDeque<>();

  private final Executor held = queued::add;
  private final AtomicInteger revalidations = new AtomicInteger();
  private final List<String> announced = new ArrayList<>();
  private Consumer<String> elsewhere;
  private KeystoreDirectory keystore;
  private LiveKeystore live;

  @BeforeEach
  void keystoreWithOneClient() throws Exception {
    keystore = new KeystoreDirectory(dir.resolve("keys"), Clock.systemUTC(), RandomSource.secure());
    keystore.add("m1");
    live = new LiveKeystore(keystore.load(), Clock.systemUTC(), keystore);
  }

  private KeyChangeRelay relay(Executor executor) {
    KeyChangeRelay relay = new KeyChangeRelay(live, executor, revalidations::incrementAndGet);
    relay.join(
        new SharedState() {
          @Override
          public PenaltyStore penalties(PenaltyTable local) {
            return local;
          }

          @Override
          public Consumer<String> keyChanges(Consumer<String> heard) {
            elsewhere = heard;
            return announced::add;
          }
        });
    return relay;
  }

  @Test
  void aFloodOfIdsThisServerDoesNotKnowReadsNothingAndQueuesNothing() throws Exception {
    relay(held);
    keystore.add("m2"); // on disk, but not known here yet: the watcher loads it, not a message
    for (int i = 0; i < 10_000; i++) {
      elsewhere.accept("stranger-" + i);
    }
    for (String hostile : List.of("m2", "", "../keys/m1", "m1\nm2", "x".repeat(10_000))) {
      elsewhere.accept(hostile);
    }
    assertThat(queued).isEmpty();
    assertThat(live.snapshot().client("m2")).isEmpty();
    assertThat(revalidations).hasValue(0);
  }

  @Test
  void aKnownIdNamedManyTimesIsRereadOnceOffTheSubscribersThread() throws Exception {
    relay(held);
    keystore.revoke("m1"); // another server's change to the shared file
    for (int i = 0; i < 1_000; i++) {
      elsewhere.accept("m1");
    }
    assertThat(queued).as("one reread, however often it was named").hasSize(1);
    assertThat(revalidations).as("nothing done on the subscriber's thread").hasValue(0);

    queued.poll().run();
    assertThat(live.snapshot().client("m1").orElseThrow().keys())
        .allMatch(key -> key.revoked() != null);
    assertThat(revalidations).as("sessions revalidated because the file changed").hasValue(1);

    // Named again after the reread: one more reread, which finds nothing new to apply.
    elsewhere.accept("m1");
    assertThat(queued).hasSize(1);
    queued.poll().run();
    assertThat(revalidations).as("an unchanged file revalidates nothing").hasValue(1);
  }

  @Test
  void aServerThatIsStoppingDropsTheRereadAndTakesTheNextOne() {
    AtomicInteger refused = new AtomicInteger();
    relay(
        task -> {
          if (refused.getAndIncrement() == 0) {
            throw new RejectedExecutionException("stopping");
          }
          queued.add(task);
        });
    elsewhere.accept("m1");
    assertThat(queued).isEmpty();
    elsewhere.accept("m1");
    assertThat(queued).as("not left marked as pending by the refused one").hasSize(1);
  }

  @Test
  void aChangeMadeHereEndsSessionsHereAndIsToldToTheOthers() {
    KeyChangeRelay relay = relay(held);
    relay.changedHere("m1");
    assertThat(revalidations).hasValue(1);
    assertThat(announced).containsExactly("m1");
    assertThat(queued).isEmpty();
  }
}
