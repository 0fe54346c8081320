package dev.authgate.server.connection;

import static org.assertj.core.api.Assertions.assertThat;

import dev.authgate.protocol.Reason;
import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.defence.RefusalAudit;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A refusal at accept never runs on the accept thread, and a peer that never reads is cut. */
class AcceptRefusalTest {
  private final ScheduledExecutorService deadlines = Executors.newSingleThreadScheduledExecutor();
  private final List<AuditEvent> events = new CopyOnWriteArrayList<>();
  private final AcceptRefusal refusal =
      new AcceptRefusal(
          deadlines,
          new RefusalAudit(events::add, Clock.systemUTC(), Duration.ofSeconds(10)),
          Duration.ofMillis(300));

  @AfterEach
  void stop() {
    deadlines.shutdownNow();
  }

  /** A socket whose peer never ACKs: a write blocks until the socket is closed. */
  private static final class NeverAcked extends Socket {
    final CountDownLatch writing = new CountDownLatch(1);
    final CountDownLatch closed = new CountDownLatch(1);

    @Override
    public OutputStream getOutputStream() {
      return new OutputStream() {
        @Override
        public void write(int b) throws IOException {
          write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          writing.countDown();
          try {
            closed.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          throw new java.net.SocketException("Socket closed");
        }
      };
    }

    @Override
    public SocketAddress getRemoteSocketAddress() {
      return new InetSocketAddress("192.0.2.7", 40000);
    }

    @Override
    public synchronized void close() {
      closed.countDown();
    }
  }

  @Test
  void aPeerThatNeverAcksDoesNotHoldTheCallerAndIsCutAtTheDeadline() throws Exception {
    NeverAcked peer = new NeverAcked();

    refusal.refuse(peer, Reason.PENALIZED, true, "192.0.2.7/32");

    // The caller (the accept thread) is back while the write is still blocked.
    assertThat(peer.closed.getCount()).isEqualTo(1);
    assertThat(peer.writing.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(peer.closed.await(10, TimeUnit.SECONDS)).isTrue();
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> !events.isEmpty());
    assertThat(events.get(0).fields())
        .containsEntry("reason", "penalized")
        .containsEntry("remote", "192.0.2.7:40000");
  }
}
