package dev.authgate.protocol.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;
import org.junit.jupiter.api.Test;

class X25519KeyPoolTest {
  @Test
  void everyPairIsHandedOutOnceWhetherMadeAheadOrOnTheSpot() throws Exception {
    Set<String> publicKeys = new HashSet<>();
    try (X25519KeyPool pool = new X25519KeyPool(RandomSource.secure(), 8, "test-keys")) {
      awaitFull(pool, 8);
      // The first 8 come from the pool, the rest mostly on the calling thread: all distinct.
      for (int i = 0; i < 300; i++) {
        assertThat(publicKeys.add(HexFormat.of().formatHex(pool.get().publicKey()))).isTrue();
      }
    }
  }

  @Test
  void pairsFromThePoolAgreeLikeAnyOther() throws Exception {
    try (X25519KeyPool pool = new X25519KeyPool(RandomSource.secure(), 4, "test-keys")) {
      awaitFull(pool, 4);
      X25519KeyPair server = pool.get();
      X25519KeyPair client = X25519KeyPair.generate(RandomSource.secure());
      assertThat(server.agree(client.publicKey())).isEqualTo(client.agree(server.publicKey()));
    }
  }

  @Test
  void afterCloseNothingWaitsAndEachPairIsMadeOnTheSpot() throws Exception {
    X25519KeyPool pool = new X25519KeyPool(RandomSource.secure(), 4, "test-keys");
    awaitFull(pool, 4);
    pool.close();
    assertThat(pool.ready()).isZero();
    assertThat(pool.get().publicKey()).hasSize(X25519KeyPair.KEY_BYTES);
    assertThat(pool.ready()).isZero();
    pool.close(); // idempotent
  }

  private static void awaitFull(X25519KeyPool pool, int capacity) throws InterruptedException {
    // Bounded: a busy machine may take a while to run a minimum-priority thread.
    for (int i = 0; i < 3_000 && pool.ready() < capacity; i++) {
      Thread.sleep(10);
    }
    assertThat(pool.ready()).isEqualTo(capacity);
  }
}
