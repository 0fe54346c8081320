package dev.authgate.server.datagram;

import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.datagram.Datagram;
import dev.authgate.protocol.datagram.DatagramKeys;
import dev.authgate.server.net.Addresses;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The UDP socket that takes verified datagrams, and the table of open channels.
 *
 * <p>Threads: {@code authgate-udp} (platform) owns the socket's receiving side and every channel's
 * replay window and opener; it blocks only in {@code receive}. Connection threads open and close
 * channels (table updates) and read counts; a chat member's writer sends its events through {@link
 * Channel#send}, which never sends an address more bytes than it received from it and nothing to an
 * address none of the channel's datagrams came from, so the server cannot be used to reflect or
 * amplify traffic. No datagram is ever answered as such.
 *
 * <p>Costs, in order, for each datagram: its size; one table lookup of its channel id (an unknown
 * id ends here); the replay window; its source's budget for datagrams that fail to open (an empty
 * one ends here, before any cryptography); AES-GCM open (a failure charges the source); one token
 * from its channel's rate bucket — spent only by datagrams that opened, so forgeries carrying a
 * channel's clear id cannot starve it.
 */
public final class DatagramEndpoint implements Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(DatagramEndpoint.class);

  private final DatagramChannel socket;
  private final int maxChannels;
  private final int perSecond;
  private final RandomSource random;
  private final ConcurrentHashMap<Long, Channel> channels = new ConcurrentHashMap<>();
  private final AtomicLong unknownChannel = new AtomicLong();
  private final AtomicLong badSize = new AtomicLong();
  private final UnverifiedBudget unverified;
  private final Thread receiver;
  private volatile boolean closed;

  private DatagramEndpoint(
      DatagramChannel socket, int maxChannels, int perSecond, RandomSource random) {
    this.socket = socket;
    this.maxChannels = maxChannels;
    this.perSecond = perSecond;
    this.random = random;
    this.unverified = new UnverifiedBudget(perSecond);
    this.receiver =
        Thread.ofPlatform().name("authgate-udp").daemon(true).unstarted(this::receiveLoop);
  }

  /**
   * Binds {@code address:port} and starts receiving.
   *
   * @throws IOException if the port cannot be bound; the message names it
   */
  public static DatagramEndpoint start(
      InetAddress address, int port, int maxChannels, int perSecond, RandomSource random)
      throws IOException {
    DatagramChannel socket = DatagramChannel.open();
    try {
      // Room for a burst from many channels while the receiving thread catches up.
      socket.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 1 << 20);
      socket.bind(new InetSocketAddress(address, port));
    } catch (IOException e) {
      socket.close();
      throw new IOException(
          "cannot take datagrams on UDP "
              + Addresses.format(new InetSocketAddress(address, port))
              + ": "
              + e.getMessage()
              + " (--udp-port 0 turns datagrams off)",
          e);
    }
    DatagramEndpoint endpoint = new DatagramEndpoint(socket, maxChannels, perSecond, random);
    endpoint.receiver.start();
    return endpoint;
  }

  /** The UDP port bound. */
  public int port() {
    try {
      return ((InetSocketAddress) socket.getLocalAddress()).getPort();
    } catch (IOException e) {
      return 0;
    }
  }

  /**
   * Opens a channel for a verified session.
   *
   * @param datagramSecret the session's datagram secret
   * @param onMessage what to do with each message that opens ({@link Channel.Message}); returns
   *     false to count it as refused
   * @return the channel, or null if {@code maxChannels} are open
   */
  public Channel open(byte[] datagramSecret, Predicate<Channel.Message> onMessage) {
    if (closed || channels.size() >= maxChannels) {
      return null;
    }
    while (true) {
      byte[] id = random.bytes(Datagram.CHANNEL_ID_BYTES);
      long key = ByteBuffer.wrap(id).getLong();
      Channel channel =
          new Channel(id, DatagramKeys.derive(datagramSecret, id), perSecond, onMessage, socket);
      if (key != 0 && channels.putIfAbsent(key, channel) == null) {
        return channel;
      }
    }
  }

  /** Closes {@code channel}: datagrams naming it are unknown from now on. */
  public void close(Channel channel) {
    channels.remove(channel.key(), channel);
    channel.close();
  }

  /** Channels open now. */
  public int openChannels() {
    return channels.size();
  }

  /** Datagrams dropped because no open channel had their id, since start. */
  public long unknownChannelDrops() {
    return unknownChannel.get();
  }

  /** Datagrams dropped for their size alone, since start. */
  public long badSizeDrops() {
    return badSize.get();
  }

  private void receiveLoop() {
    ByteBuffer buffer = ByteBuffer.allocate(2048);
    byte[] bytes = buffer.array();
    while (!closed) {
      SocketAddress from;
      buffer.clear();
      try {
        from = socket.receive(buffer);
      } catch (ClosedChannelException e) {
        return;
      } catch (IOException | RuntimeException e) {
        if (!closed) {
          LOG.warn("receiving a datagram failed: {}", e.toString());
        }
        continue;
      }
      int length = buffer.position();
      if (length < Datagram.MIN_BYTES || length > Datagram.MAX_BYTES) {
        badSize.incrementAndGet();
        continue;
      }
      Channel channel = channels.get(Datagram.channelOf(bytes, length));
      if (channel == null) {
        unknownChannel.incrementAndGet();
        continue;
      }
      try {
        channel.receive(bytes, length, from, System.nanoTime(), unverified);
      } catch (RuntimeException e) {
        LOG.warn("a datagram's handler failed: {}", e.toString());
      }
    }
  }

  /** Stops receiving and closes the socket. Idempotent. */
  @Override
  public void close() {
    closed = true;
    try {
      socket.close();
    } catch (IOException ignored) {
      // Closing anyway.
    }
    try {
      receiver.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    channels.clear();
  }
}
