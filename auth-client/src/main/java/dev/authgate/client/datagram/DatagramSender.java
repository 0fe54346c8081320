package dev.authgate.client.datagram;

import dev.authgate.client.connect.VerifiedConnection;
import dev.authgate.protocol.datagram.Datagram;
import dev.authgate.protocol.datagram.DatagramKeys;
import dev.authgate.protocol.session.ChatText;
import dev.authgate.protocol.session.DatagramControl;
import java.io.Closeable;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A datagram channel of one verified session: each {@link #say} is one sealed datagram to the
 * server's UDP port, numbered from 0; {@link #status} asks the server, over the session, what it
 * received. The session ({@link VerifiedConnection}) must stay open for the channel to live.
 *
 * <p>Not thread-safe.
 */
public final class DatagramSender implements Closeable {
  /** Datagram message type: a chat line for the member's room. */
  public static final int SAY = 0x01;

  /** The longest line one datagram holds, in UTF-8 bytes. */
  public static final int MAX_LINE_BYTES = Datagram.MAX_MESSAGE_BYTES - 1;

  private final VerifiedConnection connection;
  private final Datagram sealer;
  private final InetSocketAddress server;
  private final DatagramSocket socket;
  private long next;

  /** A sender on channel {@code channelId}; see {@link VerifiedConnection#openDatagrams()}. */
  public DatagramSender(
      VerifiedConnection connection, byte[] channelId, InetSocketAddress server, DatagramKeys keys)
      throws IOException {
    this.connection = connection;
    this.sealer = new Datagram(channelId, keys.clientToServer());
    this.server = server;
    this.socket = new DatagramSocket();
  }

  /**
   * Says {@code text} in the session's chat room as one datagram. Fire and forget: it may be lost
   * on the way, and the server says nothing back.
   *
   * @throws IllegalArgumentException if the text is not a valid chat line or does not fit one
   *     datagram
   */
  public void say(String text) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    String problem = ChatText.problem(bytes);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    if (bytes.length > MAX_LINE_BYTES) {
      throw new IllegalArgumentException(
          "a line of "
              + bytes.length
              + " bytes does not fit one datagram (at most "
              + MAX_LINE_BYTES
              + " bytes of UTF-8)");
    }
    byte[] datagram = sealer.seal(next++, SAY, bytes);
    socket.send(new DatagramPacket(datagram, datagram.length, server));
  }

  /** Datagrams sent so far. */
  public long sent() {
    return next;
  }

  /** What the server has received on this channel, asked over the session. */
  public DatagramControl.Counts status() throws IOException {
    connection.channel().send(new DatagramControl.Status());
    return connection.awaitMessage(DatagramControl.Counts.class);
  }

  /**
   * Asks the server until it has received every datagram sent, or {@code patience} has passed.
   *
   * @return the last counts
   */
  public DatagramControl.Counts awaitReceived(Duration patience) throws IOException {
    long end = System.nanoTime() + patience.toNanos();
    DatagramControl.Counts counts = status();
    while (counts.received() + counts.dropped() < next && System.nanoTime() < end) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      counts = status();
    }
    return counts;
  }

  /** The server's UDP address. */
  public InetSocketAddress server() {
    return server;
  }

  @Override
  public void close() {
    socket.close();
  }
}
