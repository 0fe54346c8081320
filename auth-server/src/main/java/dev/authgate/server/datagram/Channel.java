package dev.authgate.server.datagram;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.datagram.Datagram;
import dev.authgate.protocol.datagram.DatagramKeys;
import dev.authgate.protocol.datagram.ReplayWindow;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * One datagram channel of one verified session. Its receiving state (replay window, opener, rate
 * bucket, current peer) belongs to the endpoint's receiving thread; its counts may be read from any
 * thread.
 */
public final class Channel {
  /** Datagram message types (PROTOCOL.md §11.4). */
  public static final int SAY = 0x01;

  /** Server to client chat events (reserved for delivery over UDP). */
  public static final int EVENT = 0x02;

  /** Client to server: nothing to act on; keeps a NAT mapping open and proves the address. */
  public static final int CREDIT = 0x03;

  /** A message that opened. */
  public record Message(int type, byte[] body) {}

  private final byte[] id;
  private final long key;
  private final Datagram opener;
  private final ReplayWindow window = new ReplayWindow();
  private final Predicate<Message> onMessage;
  private final double perSecond;
  private final double burst;
  private double tokens;
  private long refilledAt;
  private volatile SocketAddress peer;
  private final AtomicLong received = new AtomicLong();
  private final AtomicLong bytesReceived = new AtomicLong();
  private final AtomicLong highest = new AtomicLong(-1);
  private final AtomicLong rebinds = new AtomicLong();
  private final AtomicLong replayed = new AtomicLong();
  private final AtomicLong tooOld = new AtomicLong();
  private final AtomicLong forged = new AtomicLong();
  private final AtomicLong overRate = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();

  Channel(byte[] id, DatagramKeys keys, int perSecond, Predicate<Message> onMessage) {
    this.id = id.clone();
    this.key = ByteBuffer.wrap(id).getLong();
    this.opener = new Datagram(id, keys.clientToServer());
    this.onMessage = onMessage;
    this.perSecond = perSecond;
    this.burst = 2.0 * perSecond;
    this.tokens = burst;
    this.refilledAt = System.nanoTime();
  }

  long key() {
    return key;
  }

  /** The channel id; a copy. */
  public byte[] id() {
    return id.clone();
  }

  /** Handles one datagram naming this channel; on the endpoint's receiving thread. */
  void receive(byte[] bytes, int length, SocketAddress from, long nowNanos) {
    long sequence = Datagram.sequenceOf(bytes, length);
    tokens = Math.min(burst, tokens + (nowNanos - refilledAt) / 1e9 * perSecond);
    refilledAt = nowNanos;
    if (tokens < 1) {
      overRate.incrementAndGet();
      return;
    }
    tokens -= 1;
    switch (window.check(sequence)) {
      case REPEATED -> {
        replayed.incrementAndGet();
        return;
      }
      case TOO_OLD -> {
        tooOld.incrementAndGet();
        return;
      }
      case FRESH -> {
        // open it
      }
    }
    Datagram.Opened opened;
    try {
      opened = opener.open(bytes, length);
    } catch (ProtocolException e) {
      forged.incrementAndGet();
      return;
    }
    window.mark(sequence);
    received.incrementAndGet();
    bytesReceived.addAndGet(length);
    highest.set(window.highest());
    if (!from.equals(peer)) {
      // The first datagram, or the client's address changed (NAT rebinding): believed only now
      // that a datagram from it opened.
      if (peer != null) {
        rebinds.incrementAndGet();
      }
      peer = from;
    }
    if (!onMessage.test(new Message(opened.type(), opened.body()))) {
      refused.incrementAndGet();
    }
  }

  /** Datagrams accepted. */
  public long received() {
    return received.get();
  }

  /** The highest sequence number accepted, or -1. */
  public long highest() {
    return highest.get();
  }

  /** Datagrams naming this channel that were dropped, all reasons together. */
  public long dropped() {
    return replayed.get() + tooOld.get() + forged.get() + overRate.get();
  }

  /** The address the last accepted datagram came from, or null. */
  public SocketAddress peer() {
    return peer;
  }

  /** The counts for the audit log's {@code datagram.closed}. */
  public Map<String, Object> counts() {
    Map<String, Object> counts = new LinkedHashMap<>();
    counts.put("received", received.get());
    counts.put("bytes_received", bytesReceived.get());
    counts.put("sent", 0L);
    counts.put("dropped_replayed", replayed.get());
    counts.put("dropped_too_old", tooOld.get());
    counts.put("dropped_forged", forged.get());
    counts.put("dropped_rate", overRate.get());
    counts.put("refused", refused.get());
    counts.put("rebinds", rebinds.get());
    return counts;
  }
}
