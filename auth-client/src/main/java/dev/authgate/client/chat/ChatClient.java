package dev.authgate.client.chat;

import dev.authgate.client.connect.VerifiedConnection;
import dev.authgate.client.datagram.DatagramSender;
import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import dev.authgate.protocol.session.ChatMessage;
import dev.authgate.protocol.session.ChatMessage.Event;
import dev.authgate.protocol.session.ChatText;
import dev.authgate.protocol.session.SecureChannel;
import dev.authgate.protocol.session.SessionMessage;
import java.io.Closeable;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;

/**
 * Chat over one verified connection. Requests go out at once; events arrive on a reader thread and
 * are handed to a listener in the order the server sent them.
 *
 * <p>Thread-safe: requests may be sent from any thread.
 */
public final class ChatClient implements Closeable {
  private final VerifiedConnection connection;
  private final SecureChannel channel;
  private final Duration keepalive;
  private Thread reader;
  private volatile boolean ended;
  // When the reader last began waiting for a message, and whether the keepalive cut the connection
  // for the silence since (the reader then reports that rather than a closed socket).
  private volatile long lastHeard = System.nanoTime();
  private volatile boolean silenced;
  private volatile DatagramSender datagrams;

  /**
   * Chats over {@code sender}'s datagram channel from now on (open it with events, before {@link
   * #start}): lines that fit one datagram are said as datagrams, and the room's events arrive as
   * datagrams on a reader of their own; requests and answers stay on the session.
   */
  public void useDatagrams(DatagramSender sender) {
    this.datagrams = sender;
  }

  /** How often a quiet session proves it is alive by default, keeping the idle limit at bay. */
  public static final Duration KEEPALIVE = Duration.ofSeconds(60);

  /** How many keepalive intervals may pass without a word from the server. */
  public static final int MISSED_KEEPALIVES = 3;

  /** Chat over {@code connection} with the default {@link #KEEPALIVE}. */
  public ChatClient(VerifiedConnection connection) throws IOException {
    this(connection, KEEPALIVE);
  }

  /**
   * Chat over {@code connection}, which this client then owns, sending a PING every {@code
   * keepalive}. A chat may be quiet for hours, but a live server answers every PING: after {@link
   * #MISSED_KEEPALIVES} intervals without a word from it the keepalive thread cuts the connection
   * and the session ends with a {@link SocketTimeoutException}. (Not a timeout on each read: arming
   * and cancelling a timer for every message cost a member of a busy room ~15 % of its CPU.)
   */
  public ChatClient(VerifiedConnection connection, Duration keepalive) throws IOException {
    this.connection = connection;
    this.channel = connection.channel();
    this.keepalive = keepalive;
    connection.clearReadTimeout();
  }

  /** Hears a chat session: its events, then how it ended. Called on the reader thread. */
  public interface Listener {
    /** An event from the server, in the order sent. */
    void onEvent(Event event);

    /**
     * The session ended: by a CLOSE from the server ({@code reason} its text; {@code failure} null,
     * or a {@link ProtocolException} of {@link Reason#NOT_PERMITTED} or {@link Reason#REVOKED_KEY}
     * for those codes) or by a failure of the connection.
     */
    void onEnd(String reason, Exception failure);

    /**
     * Over datagrams: {@code missed} events did not arrive (lost on the way, or not sent for lack
     * of credit) just before the next one. Called on the datagram reader thread.
     */
    default void onGap(long missed) {}
  }

  /** Starts handing events to {@code listener} on a reader thread, and the keepalive. */
  public void start(Listener listener) {
    Thread.ofVirtual().name("chat-keepalive").start(this::keepAlive);
    DatagramSender udp = datagrams;
    if (udp != null) {
      Thread.ofVirtual().name("chat-datagrams").start(() -> readDatagrams(udp, listener));
    }
    reader =
        Thread.ofVirtual()
            .name("chat-reader")
            .start(
                () -> {
                  try {
                    while (true) {
                      // Silence is counted from here: time the listener takes is not the
                      // server's (a paused terminal must not look like a dead server).
                      lastHeard = System.nanoTime();
                      SessionMessage message = channel.receive();
                      switch (message) {
                        case Event event -> listener.onEvent(event);
                        case SessionMessage.Close close -> {
                          ended = true;
                          closeQuietly(false);
                          listener.onEnd(
                              close.text(),
                              switch (close.code()) {
                                case SessionMessage.Close.NOT_PERMITTED ->
                                    new ProtocolException(Reason.NOT_PERMITTED, close.text());
                                case SessionMessage.Close.REVOKED ->
                                    new ProtocolException(Reason.REVOKED_KEY, close.text());
                                case SessionMessage.Close.LOCKED ->
                                    new ProtocolException(Reason.CLONE_SUSPECTED, close.text());
                                default -> null;
                              });
                          return;
                        }
                        case SessionMessage.Ping ping ->
                            channel.send(new SessionMessage.Pong(ping.token()));
                        case SessionMessage.Pong pong -> {
                          // The answer to a keepalive: reading it was the point.
                        }
                        default ->
                            throw new ProtocolException(
                                Reason.MALFORMED, "the server sent " + message + " in a chat");
                      }
                    }
                  } catch (IOException e) {
                    ended = true;
                    closeQuietly(true);
                    IOException why = silenced ? silence(keepalive) : e;
                    listener.onEnd(why.getMessage(), why);
                  }
                });
  }

  private void readDatagrams(DatagramSender udp, Listener listener) {
    try {
      while (!ended) {
        DatagramSender.Received received = udp.receive(Duration.ofMillis(500));
        if (received == null) {
          continue;
        }
        if (received.missedBefore() > 0) {
          listener.onGap(received.missedBefore());
        }
        listener.onEvent(received.event());
      }
    } catch (IOException e) {
      // The socket was closed with the session; the session reader reports how it ended.
    }
  }

  /**
   * Sends a PING every keepalive interval and cuts the connection once the server has been silent
   * for {@link #MISSED_KEEPALIVES} of them (a PONG, like any message, counts as a word).
   */
  private void keepAlive() {
    long interval = keepalive.toNanos();
    long limit = interval * MISSED_KEEPALIVES;
    long nextPing = System.nanoTime() + interval;
    long token = 0;
    try {
      while (!ended) {
        long now = System.nanoTime();
        long silentFrom = lastHeard + limit;
        if (now - silentFrom >= 0) {
          silenced = true;
          connection.release(); // the reader's receive fails at once and reports the silence
          return;
        }
        if (now - nextPing >= 0) {
          channel.send(new SessionMessage.Ping(++token));
          nextPing = now + interval;
          continue;
        }
        Thread.sleep(Duration.ofNanos(Math.min(nextPing - now, silentFrom - now)));
      }
    } catch (IOException | InterruptedException e) {
      // The session is over; the reader reports how.
    }
  }

  /** How a session cut for silence ends: with keepalive interval {@code keepalive}. */
  static SocketTimeoutException silence(Duration keepalive) {
    return new SocketTimeoutException(
        "no word from the server for "
            + keepalive.multipliedBy(MISSED_KEEPALIVES).toMillis()
            + " ms ("
            + MISSED_KEEPALIVES
            + " keepalives unanswered): it is gone or stalled");
  }

  /** Joins {@code room}, leaving the current one. */
  public void join(String room) throws IOException {
    channel.send(new ChatMessage.Join(room));
  }

  /** Says {@code text} in the current room (as a datagram if datagrams are used and it fits). */
  public void say(String text) throws IOException {
    DatagramSender udp = datagrams;
    if (udp != null
        && text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length
            <= DatagramSender.MAX_LINE_BYTES
        && ChatText.problem(text) == null) {
      udp.say(text);
      return;
    }
    channel.send(ChatMessage.Say.of(text));
  }

  /** Sends raw bytes as a message (the server checks them). */
  public void sayBytes(byte[] text) throws IOException {
    channel.send(new ChatMessage.Say(text));
  }

  /** Asks who is here; the answer comes as a WHO event. */
  public void who() throws IOException {
    channel.send(new ChatMessage.Who());
  }

  /** Asks which rooms exist; the answer comes as a ROOMS event. */
  public void rooms() throws IOException {
    channel.send(new ChatMessage.Rooms());
  }

  /** Leaves the current room. */
  public void leave() throws IOException {
    channel.send(new ChatMessage.Leave());
  }

  /**
   * The session is over: answers the server's CLOSE with ours, or after a failure just closes the
   * socket, so a blocked sender wakes and nothing is held open.
   */
  private void closeQuietly(boolean failed) {
    try {
      if (failed) {
        connection.release();
      } else {
        connection.close();
      }
    } catch (IOException ignored) {
      // Already closed.
    }
  }

  /**
   * Leaves (if in a room), sends CLOSE and closes the connection. Each send is bounded by the
   * connection's write deadline, so a server that stopped reading cannot hold this up.
   */
  @Override
  public void close() throws IOException {
    if (!ended) {
      try {
        leave();
      } catch (IOException ignored) {
        // The connection may already be gone.
      }
    }
    connection.close();
    DatagramSender udp = datagrams;
    if (udp != null) {
      udp.close();
    }
    if (reader != null) {
      try {
        reader.join(2000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
