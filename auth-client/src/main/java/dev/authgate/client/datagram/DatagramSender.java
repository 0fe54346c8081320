package dev.authgate.client.datagram;

import dev.authgate.client.connect.VerifiedConnection;
import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.datagram.Datagram;
import dev.authgate.protocol.datagram.DatagramKeys;
import dev.authgate.protocol.datagram.ReplayWindow;
import dev.authgate.protocol.session.ChatMessage;
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
 * server's UDP port, numbered from 0 and paced to the server's rate; {@link #status} asks the
 * server, over the session, what it received; with events asked for, {@link #receive} takes the
 * room's events the server sends back, paying for them with CREDIT datagrams (the server never
 * sends more bytes than it received). The session ({@link VerifiedConnection}) must stay open for
 * the channel to live.
 *
 * <p>{@link #say} may be called from one thread while another calls {@link #receive}.
 */
public final class DatagramSender implements Closeable {
  /** Datagram message type: a chat line for the member's room. */
  public static final int SAY = 0x01;

  /** The longest line one datagram holds, in UTF-8 bytes. */
  public static final int MAX_LINE_BYTES = Datagram.MAX_MESSAGE_BYTES - 1;

  /** Datagram message type: credit, so the server may send this many bytes back. */
  public static final int CREDIT = 0x03;

  /** Datagram message type: a room event from the server. */
  public static final int EVENT = 0x02;

  /**
   * Credit datagrams (of the largest size) sent when events are asked for: what the server may send
   * before the first acknowledgement arrives.
   */
  static final int INITIAL_CREDITS = 4;

  private final VerifiedConnection connection;
  private final Datagram sealer;
  private final Datagram opener;
  private final ReplayWindow window = new ReplayWindow();
  private final InetSocketAddress server;
  private final DatagramSocket socket;
  private final double perSecond;
  private final Object sending = new Object();
  private final double burst;
  private double tokens;
  private long refilledAt = System.nanoTime();
  private long next;
  private long owed;
  private long missed;
  private long receivedEvents;

  /**
   * Opens the datagram channel of {@code connection} (PROTOCOL.md §11): asks over the sealed
   * session, derives the channel's keys from the session's datagram secret, and returns a sender
   * bound to the server's UDP port on the address the connection reached. Chat events that arrive
   * meanwhile are skipped. With {@code events}, the room's messages, joins and leaves then come
   * back as datagrams ({@link #receive}) instead of over the session.
   *
   * @throws DatagramsUnavailableException if the server takes no datagrams (or has as many channels
   *     open as it may)
   */
  public static DatagramSender open(VerifiedConnection connection, boolean events)
      throws IOException {
    connection.channel().send(new DatagramControl.Open(events));
    DatagramControl.Opened opened = connection.awaitMessage(DatagramControl.Opened.class);
    if (opened.udpPort() == 0) {
      throw new DatagramsUnavailableException(
          "the server takes no datagrams (its --udp-port is 0, or it has as many channels open"
              + " as it may)");
    }
    return new DatagramSender(
        connection,
        opened.channelId(),
        new InetSocketAddress(connection.serverAddress(), opened.udpPort()),
        connection.datagramKeys(opened.channelId()),
        opened.perSecond(),
        events);
  }

  /** A sender on channel {@code channelId}; see {@link #open}. */
  DatagramSender(
      VerifiedConnection connection,
      byte[] channelId,
      InetSocketAddress server,
      DatagramKeys keys,
      int perSecond,
      boolean events)
      throws IOException {
    this.connection = connection;
    this.sealer = new Datagram(channelId, keys.clientToServer());
    this.opener = new Datagram(channelId, keys.serverToClient());
    this.server = server;
    this.perSecond = Math.max(1, perSecond);
    this.burst = Math.max(1, this.perSecond / 20);
    this.tokens = burst;
    this.socket = new DatagramSocket();
    // Room for what the credit lets the server send ahead (the kernel may cap it lower).
    this.socket.setReceiveBufferSize(1 << 20);
    // Only the server's datagrams, from its address and port, reach receive().
    this.socket.connect(server);
    if (events) {
      for (int i = 0; i < INITIAL_CREDITS; i++) {
        credit(Datagram.MAX_MESSAGE_BYTES - 1);
      }
    }
  }

  /**
   * Sends one sealed datagram, paced to the server's rate for this channel with bursts of at most
   * 1/20 s worth (the server allows 2 s worth), so none is dropped for the rate and a long burst
   * does not overrun the server's socket buffer. Thread-safe.
   */
  private void sendSealed(int type, byte[] body) throws IOException {
    synchronized (sending) {
      while (true) {
        long now = System.nanoTime();
        tokens = Math.min(burst, tokens + (now - refilledAt) / 1e9 * perSecond);
        refilledAt = now;
        if (tokens >= 1) {
          tokens -= 1;
          break;
        }
        try {
          Thread.sleep(Math.max(1, (long) ((1 - tokens) / perSecond * 1000)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new java.io.InterruptedIOException("interrupted while pacing datagrams");
        }
      }
      byte[] datagram = sealer.seal(next++, type, body);
      socket.send(new DatagramPacket(datagram, datagram.length, server));
    }
  }

  /** A CREDIT datagram whose body is {@code bytes} long: the server may send that much back. */
  private void credit(int bytes) throws IOException {
    sendSealed(CREDIT, new byte[Math.max(0, Math.min(bytes, Datagram.MAX_MESSAGE_BYTES - 1))]);
  }

  /**
   * An event that came as a datagram.
   *
   * @param event the event
   * @param missedBefore sequence numbers skipped just before it: events lost on the way (or not
   *     sent for lack of credit)
   */
  public record Received(ChatMessage.Event event, long missedBefore) {}

  /**
   * Waits up to {@code timeout} for the next room event the server sent as a datagram, and pays for
   * it: once what arrived since the last credit adds up to a datagram's worth, one CREDIT of that
   * size goes back. Datagrams that do not open, repeat or fall behind the window are skipped
   * silently. Called by one thread.
   *
   * @return the event, or null if none came in time
   */
  public Received receive(Duration timeout) throws IOException {
    byte[] buffer = new byte[2048];
    long end = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = end - System.nanoTime();
      if (left <= 0) {
        return null;
      }
      socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
      DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
      try {
        socket.receive(packet);
      } catch (java.net.SocketTimeoutException e) {
        return null;
      }
      int length = packet.getLength();
      if (length < Datagram.MIN_BYTES || length > Datagram.MAX_BYTES) {
        continue;
      }
      long sequence = Datagram.sequenceOf(buffer, length);
      if (window.check(sequence) != ReplayWindow.Verdict.FRESH) {
        continue;
      }
      Datagram.Opened opened;
      try {
        opened = opener.open(buffer, length);
      } catch (ProtocolException e) {
        continue;
      }
      long before = window.highest();
      window.mark(sequence);
      long skipped = sequence > before + 1 ? sequence - before - 1 : 0;
      missed += skipped;
      owed += length;
      if (owed >= Datagram.MAX_BYTES) {
        credit((int) Math.min(owed, Datagram.MAX_MESSAGE_BYTES - 1));
        owed = 0;
      }
      if (opened.type() != EVENT) {
        continue;
      }
      ChatMessage.Event event;
      try {
        event = ChatMessage.Event.decodeBody(opened.body());
      } catch (ProtocolException e) {
        continue;
      }
      receivedEvents++;
      return new Received(event, skipped);
    }
  }

  /** Events received as datagrams so far. */
  public long receivedEvents() {
    return receivedEvents;
  }

  /** Sequence numbers skipped so far: events lost on the way (or unsent for lack of credit). */
  public long missed() {
    return missed;
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
    sendSealed(SAY, bytes);
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
