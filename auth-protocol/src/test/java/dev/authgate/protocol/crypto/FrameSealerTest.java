package dev.authgate.protocol.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class FrameSealerTest {
  private static final DirectionKeys KEYS =
      new DirectionKeys(new byte[32], HexFormat.of().parseHex("000102030405060708090a0b"));

  @Test
  void nonceIsIvXorCounterInTheLastEightBytes() {
    byte[] iv = HexFormat.of().parseHex("000102030405060708090a0b");
    assertThat(FrameSealer.nonce(iv, 0)).isEqualTo(iv);
    assertThat(FrameSealer.nonce(iv, 1))
        .asHexString()
        .isEqualToIgnoringCase("000102030405060708090a0a");
    assertThat(FrameSealer.nonce(iv, 0x0102L))
        .asHexString()
        .isEqualToIgnoringCase("000102030405060708090b09");
  }

  @Test
  void opensWhatWasSealedInOrder() throws ProtocolException {
    FrameSealer sender = new FrameSealer(KEYS);
    FrameSealer receiver = new FrameSealer(KEYS);
    byte[] first = sender.seal(new byte[] {1}, "one".getBytes());
    byte[] second = sender.seal(new byte[] {2}, "two".getBytes());
    assertThat(receiver.open(new byte[] {1}, first)).isEqualTo("one".getBytes());
    assertThat(receiver.open(new byte[] {2}, second)).isEqualTo("two".getBytes());
  }

  @Test
  void refusesAReorderedMessage() {
    FrameSealer sender = new FrameSealer(KEYS);
    sender.seal(new byte[0], "one".getBytes());
    byte[] second = sender.seal(new byte[0], "two".getBytes());
    assertThatThrownBy(() -> new FrameSealer(KEYS).open(new byte[0], second))
        .isInstanceOf(ProtocolException.class)
        .extracting(e -> ((ProtocolException) e).reason())
        .isEqualTo(Reason.INTEGRITY);
  }

  @Test
  void refusesAlteredAssociatedData() {
    byte[] sealed = new FrameSealer(KEYS).seal(new byte[] {1}, "x".getBytes());
    assertThatThrownBy(() -> new FrameSealer(KEYS).open(new byte[] {2}, sealed))
        .isInstanceOf(ProtocolException.class);
  }

  @Test
  void refusesAMessageShorterThanItsTag() {
    assertThatThrownBy(() -> new FrameSealer(KEYS).open(new byte[0], new byte[15]))
        .isInstanceOf(ProtocolException.class)
        .extracting(e -> ((ProtocolException) e).reason())
        .isEqualTo(Reason.MALFORMED);
  }
}
