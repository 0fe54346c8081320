package dev.authgate.server.keystore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.crypto.ScramKeys;
import dev.authgate.protocol.crypto.Verifier;
import dev.authgate.protocol.keyfile.ClientKeys;
import dev.authgate.protocol.keyfile.KeyEntry;
import dev.authgate.protocol.keyfile.KeyStatus;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The keystore side of clients rotating their own keys: what is stored, kept and refused. */
class SelfRotationsTest {
  @TempDir Path dir;

  /** A clock a test moves on. */
  static final class Stepping extends Clock {
    Instant now = Instant.parse("2026-12-01T00:00:00Z");

    @Override
    public ZoneId getZone() {
      return ZoneId.of("UTC");
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  final Stepping clock = new Stepping();

  private KeystoreDirectory keystore() {
    return new KeystoreDirectory(dir.resolve("keys"), clock, RandomSource.secure());
  }

  private static Verifier fresh() {
    return ScramKeys.fromSaltedPassword(RandomSource.secure().bytes(32)).verifier();
  }

  private ClientKeys read() throws Exception {
    return keystore().readFile(keystore().fileFor("m1"));
  }

  @Test
  void aClientThatRotatesOftenKeepsAFewLines_recentCopiesAreStillRecognised() throws Exception {
    keystore().add("m1");
    String current = "k1";
    for (int i = 0; i < 20; i++) {
      clock.now = clock.now.plus(Duration.ofDays(31));
      SelfRotations.Stored stored = keystore().selfRotations().store("m1", current, fresh());
      clock.now = clock.now.plusSeconds(60);
      keystore().selfRotations().firstUse("m1", stored.keyId(), "192.0.2.7:40000");
      current = stored.keyId();
    }

    ClientKeys keys = read();
    assertThat(keys.keys()).hasSize(SelfRotations.REPLACED_KEPT + 1);
    assertThat(keys.key(current).orElseThrow().statusAt(clock.now)).isEqualTo(KeyStatus.ACTIVE);
    assertThat(keys.keys().stream().filter(k -> k.replaced() != null)).hasSize(4);
    assertThat(keys.key("k20").orElseThrow().statusAt(clock.now))
        .as("the key before the current one: a copy of it is recognised")
        .isEqualTo(KeyStatus.REPLACED);
    assertThat(keys.key("k1")).as("long forgotten").isEmpty();
  }

  @Test
  void aRotationFromAKeyThatNoLongerCountsIsRefused_andNothingIsStored() throws Exception {
    keystore().add("m1");
    SelfRotations.Stored k2 = keystore().selfRotations().store("m1", "k1", fresh());
    keystore().selfRotations().firstUse("m1", k2.keyId(), "192.0.2.7:40000");
    int before = read().keys().size();

    assertThatThrownBy(() -> keystore().selfRotations().store("m1", "k1", fresh()))
        .isInstanceOf(SelfRotations.Refused.class)
        .extracting(e -> ((SelfRotations.Refused) e).reason())
        .isEqualTo("key-not-current");
    Verifier same = read().key("k2").orElseThrow().verifier();
    assertThatThrownBy(() -> keystore().selfRotations().store("m1", "k2", same))
        .extracting(e -> ((SelfRotations.Refused) e).reason())
        .isEqualTo("not-fresh");
    keystore().selfRotations().lock("m1", "k1");
    assertThatThrownBy(() -> keystore().selfRotations().store("m1", "k2", fresh()))
        .extracting(e -> ((SelfRotations.Refused) e).reason())
        .isEqualTo("locked");
    assertThat(read().keys()).as("nothing stored").hasSize(before);
  }

  @Test
  void theLockNamesTheKeyThatMovedOnAndWhereItWasFirstUsed() throws Exception {
    keystore().add("m1");
    SelfRotations.Stored k2 = keystore().selfRotations().store("m1", "k1", fresh());
    keystore().selfRotations().firstUse("m1", k2.keyId(), "198.51.100.9:5000");

    SelfRotations.Locked lock = keystore().selfRotations().lock("m1", "k1");

    assertThat(lock.successor().keyId()).isEqualTo("k2");
    assertThat(lock.successor().usedFrom()).isEqualTo("198.51.100.9:5000");
    assertThat(keystore().selfRotations().lock("m1", "k1")).as("once").isNull();
    KeyEntry k1 = read().key("k1").orElseThrow();
    assertThat(k1.statusAt(clock.now)).isEqualTo(KeyStatus.REPLACED);
    assertThat(keystore().selfRotations().unlock("m1")).isTrue();
    assertThat(read().locked()).isNull();
  }
}
