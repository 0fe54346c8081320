package dev.authgate.protocol.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.authgate.protocol.ProtocolException;
import org.bouncycastle.math.ec.rfc7748.X25519;
import org.junit.jupiter.api.Test;

class X25519KeyPairTest {
  @Test
  void thePublicKeyIsTheBasePointTimesTheClampedPrivateKeyWhicheverMethodMadeIt() {
    // More pairs than the process makes with the ladder, so both methods are checked.
    RandomSource random = RandomSource.secure();
    byte[] basePoint = new byte[32];
    basePoint[0] = 9;
    for (int i = 0; i < 100; i++) {
      byte[] privateKey = random.bytes(32);
      byte[] expected = new byte[32];
      X25519.scalarMult(privateKey, 0, basePoint, 0, expected, 0);
      assertThat(X25519KeyPair.fromPrivateKey(privateKey).publicKey()).isEqualTo(expected);
    }
  }

  @Test
  void twoPairsAgreeOnOneSecretAndALowOrderPointIsRefused() throws ProtocolException {
    X25519KeyPair a = X25519KeyPair.generate(RandomSource.secure());
    X25519KeyPair b = X25519KeyPair.generate(RandomSource.secure());
    assertThat(a.agree(b.publicKey())).isEqualTo(b.agree(a.publicKey()));
    assertThatThrownBy(() -> a.agree(new byte[32])).isInstanceOf(ProtocolException.class);
  }
}
