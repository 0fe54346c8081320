package dev.authgate.server.testing;

import static org.awaitility.Awaitility.await;

import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.session.SecureChannel;
import dev.authgate.protocol.session.SessionMessage;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A verified client that floods PINGs and never reads a PONG, as a hostile or wedged machine would:
 * once the socket buffers fill, the server's write of a PONG blocks, and so does the flood.
 */
public final class NonReader implements AutoCloseable {
  private static final long MAX_PINGS = 5_000_000;

  private final RawClient client;
  private final AtomicLong sent = new AtomicLong();
  private final Thread flood;

  private NonReader(RawClient client, SecureChannel channel) {
    this.client = client;
    this.flood =
        Thread.ofVirtual()
            .name("non-reader-flood")
            .start(
                () -> {
                  try {
                    for (long i = 0; i < MAX_PINGS; i++) {
                      channel.send(new SessionMessage.Ping(i));
                      sent.incrementAndGet();
                    }
                  } catch (IOException e) {
                    // The server cut us off: what the tests expect sooner or later.
                  }
                });
  }

  /** Connects as {@code credential} with a small receive buffer and starts flooding. */
  public static NonReader connect(int port, Credential credential) throws IOException {
    RawClient client = RawClient.connect(port, "127.0.0.1", 4096).withoutRecording();
    return new NonReader(client, client.handshake(credential.identity()));
  }

  /**
   * Waits until the flood has stopped advancing: the server no longer reads this connection because
   * its own write to it is blocked.
   */
  public NonReader awaitServerStuck() {
    long[] last = {-1};
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(300))
        .until(
            () -> {
              long now = sent.get();
              boolean stuck = now > 0 && now == last[0];
              last[0] = now;
              return stuck;
            });
    return this;
  }

  @Override
  public void close() throws IOException {
    client.close();
    try {
      flood.join(Duration.ofSeconds(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
