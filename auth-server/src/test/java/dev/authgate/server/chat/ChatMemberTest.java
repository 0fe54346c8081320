package dev.authgate.server.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.authgate.protocol.crypto.DirectionKeys;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.handshake.SessionKeys;
import dev.authgate.protocol.session.ChatMessage.Event;
import dev.authgate.protocol.session.SecureChannel;
import dev.authgate.protocol.session.SessionMessage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A chat member's writer: order, batching of what queued up, and the end of a dropped member. */
class ChatMemberTest {
  private static final RandomSource RANDOM = RandomSource.secure();
  private final SessionKeys keys =
      new SessionKeys(
          new DirectionKeys(RANDOM.bytes(32), RANDOM.bytes(12)),
          new DirectionKeys(RANDOM.bytes(32), RANDOM.bytes(12)));

  /** A socket whose first write blocks until released, as a peer that reads late. */
  private static final class SlowPeer extends ByteArrayOutputStream {
    final CountDownLatch firstWriteStarted = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final AtomicInteger writes = new AtomicInteger();

    @Override
    public void write(byte[] b, int off, int len) {
      if (writes.getAndIncrement() == 0) {
        firstWriteStarted.countDown();
        try {
          release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      synchronized (this) {
        super.write(b, off, len);
      }
    }
  }

  private static Event message(int n) {
    return new Event(Event.Kind.MESSAGE, n, "lobby", "sensor-" + n, "line " + n);
  }

  private List<SessionMessage> whatThePeerReads(SlowPeer peer) throws IOException {
    byte[] wire;
    synchronized (peer) {
      wire = peer.toByteArray();
    }
    SecureChannel client =
        SecureChannel.client(new ByteArrayInputStream(wire), new ByteArrayOutputStream(), keys);
    List<SessionMessage> read = new ArrayList<>();
    while (true) {
      try {
        read.add(client.receive());
      } catch (EOFException end) {
        return read;
      }
    }
  }

  @Test
  void eventsThatQueueWhileAWriteIsUnderWayGoOutTogetherInOrder() throws Exception {
    SlowPeer peer = new SlowPeer();
    SecureChannel channel = SecureChannel.server(new ByteArrayInputStream(new byte[0]), peer, keys);
    ChatMember member = new ChatMember("sensor-0", "conn-1", channel, 64, () -> {}, () -> {});

    assertThat(member.offer(message(1))).isTrue();
    assertThat(peer.firstWriteStarted.await(30, TimeUnit.SECONDS)).isTrue();
    for (int n = 2; n <= 6; n++) {
      assertThat(member.offer(message(n))).isTrue();
    }
    peer.release.countDown();

    await().until(() -> member.sent() == 6);
    assertThat(peer.writes.get())
        .as("the first event, then the five that waited, in one write")
        .isEqualTo(2);
    assertThat(whatThePeerReads(peer))
        .extracting(m -> ((Event) m).text())
        .containsExactly("line 1", "line 2", "line 3", "line 4", "line 5", "line 6");
    member.close();
  }

  @Test
  void aDroppedMemberGetsItsNoticeAndCloseAndNothingQueuedBefore() throws Exception {
    SlowPeer peer = new SlowPeer();
    SecureChannel channel = SecureChannel.server(new ByteArrayInputStream(new byte[0]), peer, keys);
    CountDownLatch closed = new CountDownLatch(1);
    ChatMember member =
        new ChatMember("sensor-0", "conn-1", channel, 4, closed::countDown, () -> {});

    assertThat(member.offer(message(1))).isTrue();
    assertThat(peer.firstWriteStarted.await(30, TimeUnit.SECONDS)).isTrue();
    for (int n = 2; n <= 4; n++) {
      assertThat(member.offer(message(n))).isTrue();
    }
    member.drop("its outbound queue is full");
    assertThat(member.offer(message(5))).as("nothing is queued after the drop").isFalse();
    assertThat(closed.await(30, TimeUnit.SECONDS)).isTrue();
    peer.release.countDown();

    await().until(() -> peer.writes.get() == 2);
    List<SessionMessage> read = whatThePeerReads(peer);
    assertThat(read).hasSize(3);
    assertThat(((Event) read.get(0)).text()).isEqualTo("line 1");
    assertThat(((Event) read.get(1)).kind()).isEqualTo(Event.Kind.NOTICE);
    assertThat(((Event) read.get(1)).text())
        .startsWith("dropped from chat: its outbound queue is full");
    assertThat(read.get(2)).isInstanceOf(SessionMessage.Close.class);
    assertThat(member.sent()).as("the CLOSE is not counted as an event").isEqualTo(2);
  }
}
