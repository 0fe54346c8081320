package dev.authgate.protocol.frame;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class FrameCodecTest {
  @Test
  void roundTripsAFrame() throws IOException {
    byte[] wire = FrameCodec.encode(FrameType.HELLO, new byte[] {9, 8, 7});
    Frame frame = FrameCodec.read(new ByteArrayInputStream(wire), 10);
    assertThat(frame.type()).isEqualTo(FrameType.HELLO);
    assertThat(frame.payload()).containsExactly(9, 8, 7);
    assertThat(frame.header()).containsExactly(1, 0, 0, 0, 3);
  }

  @Test
  void refusesALengthOverTheCapWithoutReadingOrAllocatingIt() {
    byte[] header = {0x02, 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff};
    AtomicInteger bytesRead = new AtomicInteger();
    InputStream in =
        new ByteArrayInputStream(header) {
          @Override
          public synchronized int read() {
            bytesRead.incrementAndGet();
            return super.read();
          }

          @Override
          public synchronized int read(byte[] b, int off, int len) {
            int n = super.read(b, off, len);
            bytesRead.addAndGet(Math.max(n, 0));
            return n;
          }
        };
    assertThatThrownBy(() -> FrameCodec.read(in, FrameCodec.PRE_AUTH_MAX_PAYLOAD))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("2147483647")
        .hasMessageContaining("cap of 4096")
        .extracting(e -> ((ProtocolException) e).reason())
        .isEqualTo(Reason.MALFORMED);
    assertThat(bytesRead).hasValue(5);
  }

  @Test
  void refusesAnUnknownType() {
    assertThatThrownBy(
            () -> FrameCodec.read(new ByteArrayInputStream(new byte[] {0x7e, 0, 0, 0, 0}), 10))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("0x7e");
  }

  @Test
  void reportsATruncatedPayloadAsMalformed() {
    byte[] wire = FrameCodec.encode(FrameType.AUTH, new byte[100]);
    byte[] cut = java.util.Arrays.copyOf(wire, 50);
    assertThatThrownBy(() -> FrameCodec.read(new ByteArrayInputStream(cut), 4096))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("the connection ended inside a frame (after 45 of 100 bytes)")
        .extracting(e -> ((ProtocolException) e).reason())
        .isEqualTo(Reason.MALFORMED);
  }

  @Test
  void reportsATruncatedHeaderAsMalformed() {
    assertThatThrownBy(() -> FrameCodec.read(new ByteArrayInputStream(new byte[] {1, 0}), 10))
        .isInstanceOf(ProtocolException.class);
  }

  @Test
  void reportsACleanEndBetweenFramesAsEof() {
    assertThatThrownBy(() -> FrameCodec.read(new ByteArrayInputStream(new byte[0]), 10))
        .isInstanceOf(EOFException.class);
  }
}
