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

  @Test
  void opensInPlaceWhatWasSealedIntoAReusedFrame() throws ProtocolException {
    FrameSealer sender = new FrameSealer(KEYS);
    FrameSealer receiver = new FrameSealer(KEYS);
    byte[] header = {5, 0, 0, 0, 20};
    byte[] frame = new byte[FrameSealer.frameBytes(header, 3)];
    for (String word : new String[] {"one", "two"}) {
      int length = sender.sealFrameInto(header, 0x22, word.getBytes(), 0, 3, frame);
      byte[] wire = java.util.Arrays.copyOf(frame, length);
      int plain = receiver.openInPlace(header, wire, header.length, length - header.length);
      assertThat(plain).isEqualTo(4);
      assertThat(java.util.Arrays.copyOfRange(wire, header.length, header.length + plain))
          .isEqualTo(("\"" + word).getBytes()); // inner type 0x22 is a double quote
    }
  }

  @Test
  void anInPlaceOpenRefusesATamperedFrame() {
    byte[] header = {5, 0, 0, 0, 20};
    byte[] frame = new FrameSealer(KEYS).sealFrame(header, 0x22, "abc".getBytes(), 0, 3);
    frame[header.length] ^= 1;
    assertThatThrownBy(
            () ->
                new FrameSealer(KEYS)
                    .openInPlace(header, frame, header.length, frame.length - header.length))
        .isInstanceOf(ProtocolException.class)
        .extracting(e -> ((ProtocolException) e).reason())
        .isEqualTo(Reason.INTEGRITY);
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.EnumSource(CryptoWarmup.Side.class)
  void theWarmUpRunsEveryIterationOnEachSide(CryptoWarmup.Side side) throws ProtocolException {
    // It once stopped at the receiver's first open (a nonce behind) and nothing said so.
    assertThat(CryptoWarmup.warm(side)).isEqualTo(CryptoWarmup.ITERATIONS);
  }

  @Test
  void theWarmUpRunsToItsEnd() throws InterruptedException {
    CryptoWarmup.startInBackground(CryptoWarmup.Side.RECEIVER);
    CryptoWarmup.startInBackground(CryptoWarmup.Side.SENDER); // once per process: ignored
    assertThat(CryptoWarmup.awaitDone(120_000)).isTrue();
  }
}
