package dev.authgate.client.connect;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import dev.authgate.protocol.datagram.DatagramKeys;
import dev.authgate.protocol.handshake.SessionKeys;
import dev.authgate.protocol.io.WriteDeadline;
import dev.authgate.protocol.session.ChatMessage;
import dev.authgate.protocol.session.SecureChannel;
import dev.authgate.protocol.session.SessionMessage;
import dev.authgate.protocol.session.SessionMessage.Close;
import dev.authgate.protocol.session.SessionMessage.Ping;
import dev.authgate.protocol.session.SessionMessage.Pong;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;

/**
 * A connection whose server has proved itself and which has proved itself to the server. Every
 * frame on it is sealed.
 *
 * <p>Not thread-safe: one caller at a time. {@link #close()} sends CLOSE and is idempotent.
 */
public final class VerifiedConnection implements Closeable {
  private final Socket socket;
  private final SecureChannel channel;
  private final String serverId;
  private final Thread watchdog;
  private final SessionKeys keys;
  private long nextToken = 1;

  VerifiedConnection(
      Socket socket,
      SecureChannel channel,
      String serverId,
      WriteDeadline output,
      Duration writeTimeout,
      SessionKeys keys) {
    this.socket = socket;
    this.channel = channel;
    this.serverId = serverId;
    this.keys = keys;
    this.watchdog =
        Thread.ofVirtual()
            .name("client-write-watchdog")
            .start(() -> watchWrites(output, writeTimeout));
  }

  /**
   * Closes the socket if a write stays blocked longer than {@code limit}: a server that stopped
   * reading cannot hold this client forever. The blocked write then fails, saying why.
   */
  private void watchWrites(WriteDeadline output, Duration limit) {
    long limitNanos = limit.toNanos();
    long period = Math.clamp(limit.toMillis() / 4, 20, 1_000);
    try {
      while (!socket.isClosed()) {
        Thread.sleep(period);
        if (output.stalledLongerThan(limitNanos, System.nanoTime())) {
          output.cut(
              "the server stopped reading: a write was blocked for " + limit.toSeconds() + " s");
          socket.close();
          return;
        }
      }
    } catch (InterruptedException | IOException e) {
      // Closed: nothing left to watch.
    }
  }

  /**
   * The keys of datagram channel {@code channelId} (PROTOCOL.md §11), derived from this session's
   * datagram secret; the secret itself never leaves this object.
   */
  public DatagramKeys datagramKeys(byte[] channelId) {
    return DatagramKeys.derive(keys.datagramSecret(), channelId);
  }

  /** The server's address this connection reached. */
  public InetAddress serverAddress() {
    return socket.getInetAddress();
  }

  /**
   * Reads until a message of {@code type} arrives and returns it: chat events and stray PONGs
   * meanwhile are skipped, a PING is answered, a CLOSE ends the wait with the server's reason.
   *
   * @throws ProtocolException if the server closes the session, or sends anything else
   */
  public <T extends SessionMessage> T awaitMessage(Class<T> type) throws IOException {
    while (true) {
      SessionMessage message = channel.receive();
      if (type.isInstance(message)) {
        return type.cast(message);
      }
      if (message instanceof Ping p) {
        channel.send(new Pong(p.token()));
      } else if (message instanceof Close c) {
        throw c.code() == Close.NOT_PERMITTED
            ? new ProtocolException(Reason.NOT_PERMITTED, c.text())
            : new ProtocolException(
                Reason.CONNECTION_LOST, "the server closed the session: " + c.text());
      } else if (!(message instanceof ChatMessage.Event || message instanceof Pong)) {
        throw new ProtocolException(
            Reason.MALFORMED,
            "unexpected "
                + message.getClass().getSimpleName()
                + " while waiting for "
                + type.getSimpleName());
      }
    }
  }

  /** The id the verified server gave. */
  public String serverId() {
    return serverId;
  }

  /**
   * Sends a sealed PING and waits for the matching PONG.
   *
   * @return the round-trip time
   * @throws ProtocolException if the server closes the session or answers out of turn
   */
  public Duration ping() throws IOException {
    long token = nextToken++;
    long start = System.nanoTime();
    channel.send(new Ping(token));
    while (true) {
      SessionMessage reply = channel.receive();
      switch (reply) {
        case Pong p -> {
          // Anything but our token is a late answer to an earlier ping: keep waiting.
          if (p.token() == token) {
            return Duration.ofNanos(System.nanoTime() - start);
          }
        }
        case Ping p -> channel.send(new Pong(p.token()));
        case Close c ->
            throw c.code() == Close.NOT_PERMITTED
                ? new ProtocolException(Reason.NOT_PERMITTED, c.text())
                : new ProtocolException(
                    Reason.CONNECTION_LOST, "the server closed the session: " + c.text());
        default ->
            throw new ProtocolException(
                Reason.MALFORMED, "unexpected " + reply + " while waiting for PONG");
      }
    }
  }

  /** The current limit on each read from the server. */
  public Duration readTimeout() throws IOException {
    return Duration.ofMillis(socket.getSoTimeout());
  }

  /** Sets the limit on each read from the server. */
  public void setReadTimeout(Duration timeout) throws IOException {
    socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis())));
  }

  /**
   * Lets reads wait as long as it takes, for a caller that notices a silent server another way
   * (ChatClient's keepalive); {@link #setReadTimeout} sets a limit again.
   */
  public void clearReadTimeout() throws IOException {
    socket.setSoTimeout(0);
  }

  /** The channel, for session protocols built on this connection. */
  public SecureChannel channel() {
    return channel;
  }

  /** Drops the connection at once, without CLOSE, as a killed process would. */
  public void abort() throws IOException {
    socket.setSoLinger(true, 0);
    release();
  }

  @Override
  public void close() throws IOException {
    if (socket.isClosed()) {
      return;
    }
    try {
      channel.send(new Close(Close.NORMAL, "bye"));
    } catch (IOException ignored) {
      // The server may be gone; closing the socket is all that is left.
    } finally {
      release();
    }
  }

  /**
   * Closes the socket without a CLOSE: for a session that is already over (the server ended it, or
   * the connection failed). Any blocked read or write fails at once. Idempotent.
   */
  public void release() throws IOException {
    watchdog.interrupt();
    socket.close();
  }
}
