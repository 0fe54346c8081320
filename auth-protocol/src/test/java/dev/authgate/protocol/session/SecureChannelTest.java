package dev.authgate.protocol.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import dev.authgate.protocol.crypto.DirectionKeys;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.frame.FrameCodec;
import dev.authgate.protocol.frame.FrameType;
import dev.authgate.protocol.handshake.SessionKeys;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class SecureChannelTest {
  private static final RandomSource RANDOM = RandomSource.secure();
  private final SessionKeys keys =
      new SessionKeys(
          new DirectionKeys(RANDOM.bytes(32), RANDOM.bytes(12)),
          new DirectionKeys(RANDOM.bytes(32), RANDOM.bytes(12)));

  private byte[] clientSends(SessionMessage... messages) throws IOException {
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    SecureChannel client = SecureChannel.client(new ByteArrayInputStream(new byte[0]), wire, keys);
    for (SessionMessage message : messages) {
      client.send(message);
    }
    return wire.toByteArray();
  }

  private SecureChannel serverReading(byte[] wire) {
    return SecureChannel.server(new ByteArrayInputStream(wire), new ByteArrayOutputStream(), keys);
  }

  @Test
  void theServerOpensWhatTheClientSealedInOrder() throws IOException {
    byte[] wire = clientSends(new SessionMessage.Ping(7), new SessionMessage.Close(0, "bye"));
    SecureChannel server = serverReading(wire);

    assertThat(server.receive()).isEqualTo(new SessionMessage.Ping(7));
    assertThat(server.receive()).isEqualTo(new SessionMessage.Close(0, "bye"));
    assertThatThrownBy(server::receive).isInstanceOf(EOFException.class);
    assertThat(server.bytesReceived()).isEqualTo(wire.length);
  }

  @Test
  void aBatchIsTheSameBytesAsItsMessagesSentOneByOneInOneWrite() throws IOException {
    SessionMessage[] messages = {
      new SessionMessage.Ping(1),
      ChatMessage.Say.of("first line"),
      ChatMessage.Say.of("second, longer line with more to say"),
      new SessionMessage.Close(0, "bye")
    };
    CountingOutput wire = new CountingOutput();
    SecureChannel batched = SecureChannel.client(new ByteArrayInputStream(new byte[0]), wire, keys);
    batched.send(new SessionMessage.Ping(0));
    batched.sendAll(java.util.List.of(messages));

    byte[] oneByOne = clientSends(prepend(new SessionMessage.Ping(0), messages));
    assertThat(wire.toByteArray()).isEqualTo(oneByOne);
    assertThat(wire.writes).as("one write for the single PING, one for the batch").isEqualTo(2);
    assertThat(batched.bytesSent()).isEqualTo(oneByOne.length);
    SecureChannel server = serverReading(wire.toByteArray());
    assertThat(server.receive()).isEqualTo(new SessionMessage.Ping(0));
    for (SessionMessage message : messages) {
      assertThat(server.receive()).usingRecursiveComparison().isEqualTo(message);
    }
  }

  @Test
  void aBatchRefusesBulkChunks() {
    SecureChannel client =
        SecureChannel.client(
            new ByteArrayInputStream(new byte[0]), new ByteArrayOutputStream(), keys);
    byte[] chunk = new byte[16];
    assertThatThrownBy(
            () ->
                client.sendAll(
                    java.util.List.of(
                        new SessionMessage.Ping(1), new UploadData(chunk, 0, chunk.length))))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static SessionMessage[] prepend(SessionMessage first, SessionMessage[] rest) {
    SessionMessage[] all = new SessionMessage[rest.length + 1];
    all[0] = first;
    System.arraycopy(rest, 0, all, 1, rest.length);
    return all;
  }

  /** Counts the writes that reach it, as a socket would see them. */
  private static final class CountingOutput extends ByteArrayOutputStream {
    int writes;

    @Override
    public synchronized void write(byte[] b, int off, int len) {
      writes++;
      super.write(b, off, len);
    }
  }

  @Test
  void aDroppedFrameMakesTheNextOneFailToOpen() throws IOException {
    byte[] first = clientSends(new SessionMessage.Ping(1));
    byte[] both = clientSends(new SessionMessage.Ping(1), new SessionMessage.Ping(2));
    byte[] secondOnly = java.util.Arrays.copyOfRange(both, first.length, both.length);

    assertThatThrownBy(() -> serverReading(secondOnly).receive())
        .isInstanceOf(ProtocolException.class)
        .extracting(e -> ((ProtocolException) e).reason())
        .isEqualTo(Reason.INTEGRITY);
  }

  @Test
  void aFrameReflectedBackToItsSenderFailsToOpen() throws IOException {
    byte[] wire = clientSends(new SessionMessage.Ping(1));
    SecureChannel client =
        SecureChannel.client(new ByteArrayInputStream(wire), new ByteArrayOutputStream(), keys);

    assertThatThrownBy(client::receive).isInstanceOf(ProtocolException.class);
  }

  @Test
  void anAlteredLengthInTheHeaderIsDetected() throws IOException {
    byte[] wire = clientSends(new SessionMessage.Ping(1));
    byte[] shorter = java.util.Arrays.copyOf(wire, wire.length - 1);
    shorter[4]--;

    assertThatThrownBy(() -> serverReading(shorter).receive())
        .isInstanceOf(ProtocolException.class)
        .extracting(e -> ((ProtocolException) e).reason())
        .isEqualTo(Reason.INTEGRITY);
  }

  @Test
  void anUnsealedFrameAfterTheHandshakeIsMalformed() {
    byte[] hello = FrameCodec.encode(FrameType.HELLO, new byte[66]);

    assertThatThrownBy(() -> serverReading(hello).receive())
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("unsealed HELLO");
  }

  @Test
  void unknownInnerTypesAndBadBodiesAreMalformed() {
    assertThatThrownBy(() -> SessionMessage.decode(new byte[] {0x7f}))
        .hasMessageContaining("unknown session message type 0x7f");
    assertThatThrownBy(() -> SessionMessage.decode(new byte[] {0x01, 1, 2}))
        .hasMessageContaining("PING body must be 8 bytes");
    assertThatThrownBy(() -> SessionMessage.decode(new byte[] {0x0f, 0, 5, 'a'}))
        .hasMessageContaining("CLOSE body");
    assertThatThrownBy(() -> SessionMessage.decode(new byte[0])).hasMessageContaining("empty");
  }

  @Test
  void bulkChunksSealedFromOneReusedBufferArriveIntactAsViewsOfTheirFrames() throws IOException {
    byte[] file = RANDOM.bytes(3 * 256 * 1024 + 17);
    byte[] chunk = new byte[256 * 1024];
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    SecureChannel client = SecureChannel.client(new ByteArrayInputStream(new byte[0]), wire, keys);
    for (int at = 0; at < file.length; at += chunk.length) {
      int n = Math.min(chunk.length, file.length - at);
      System.arraycopy(file, at, chunk, 0, n);
      client.send(new UploadData(chunk, 0, n)); // the sender reuses its buffer too
    }
    client.send(new SessionMessage.Ping(9));

    SecureChannel server = serverReading(wire.toByteArray());
    ByteArrayOutputStream received = new ByteArrayOutputStream();
    for (int i = 0; i < 4; i++) {
      UploadData data = (UploadData) server.receive();
      assertThat(data.offset()).as("a view after the inner type byte").isEqualTo(1);
      received.write(data.buffer(), data.offset(), data.length());
    }
    assertThat(received.toByteArray()).isEqualTo(file);
    assertThat(server.receive()).isEqualTo(new SessionMessage.Ping(9));
  }

  @Test
  void anUploadDataViewEqualsAndReencodesAsItsBytes() {
    byte[] buffer = {9, 1, 2, 3, 9};
    UploadData view = new UploadData(buffer, 1, 3);
    assertThat(view).isEqualTo(new UploadData(new byte[] {1, 2, 3}));
    assertThat(view.body()).containsExactly(1, 2, 3);
    assertThat(view.hashCode()).isEqualTo(new UploadData(new byte[] {1, 2, 3}).hashCode());
    assertThatThrownBy(() -> new UploadData(buffer, 3, 3))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }
}
