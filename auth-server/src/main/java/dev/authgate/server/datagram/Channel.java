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

  /** What became of an event offered to {@link #send}. */
  public enum Sent {
    /** Sealed and sent to the client's address. */
    SENT,
    /** Not sent: the client has not earned the bytes (or has no address yet); counted. */
    NO_CREDIT,
    /** Does not fit one datagram: the caller sends it over the session instead. */
    TOO_BIG
  }

  /** How long a member's writer waits for credit before the event is counted unsent. */
  private static final long CREDIT_WAIT_NANOS = 2_000_000_000L;

  private boolean closed;

  private final byte[] id;
  private final long key;
  private final Datagram opener;
  private final Datagram sealer;
  private final java.nio.channels.DatagramChannel socket;
  private long nextSequence;
  private final AtomicLong credit = new AtomicLong();
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong bytesSent = new AtomicLong();
  private final AtomicLong noCredit = new AtomicLong();
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
  private final AtomicLong unverifiedOverBudget = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();

  Channel(
      byte[] id,
      DatagramKeys keys,
      int perSecond,
      Predicate<Message> onMessage,
      java.nio.channels.DatagramChannel socket) {
    this.id = id.clone();
    this.key = ByteBuffer.wrap(id).getLong();
    this.opener = new Datagram(id, keys.clientToServer());
    this.sealer = new Datagram(id, keys.serverToClient());
    this.socket = socket;
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
  void receive(
      byte[] bytes, int length, SocketAddress from, long nowNanos, UnverifiedBudget unverified) {
    long sequence = Datagram.sequenceOf(bytes, length);
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
        // open it, if its source has not spent its budget for datagrams that fail to
      }
    }
    // Only a datagram that opens spends the channel's rate: forgeries that carry its clear id
    // cannot starve it (WireGuard's rule). What fails to open is paid for by its source instead.
    // The channel's verified address is always tried (a NAT neighbour's forgeries must not shut
    // it out); others only while their source has budget left.
    if (!from.equals(peer) && !unverified.mayTry(key, from, nowNanos)) {
      unverifiedOverBudget.incrementAndGet();
      return;
    }
    Datagram.Opened opened;
    try {
      opened = opener.open(bytes, length);
    } catch (ProtocolException e) {
      unverified.charge(key, from, nowNanos);
      forged.incrementAndGet();
      return;
    }
    if (!takeToken(nowNanos)) {
      overRate.incrementAndGet();
      return;
    }
    window.mark(sequence);
    believe(from, length);
    if (!onMessage.test(new Message(opened.type(), opened.body()))) {
      refused.incrementAndGet();
    }
    // Counted once handled, not before: a sender that sees its datagram received (DATAGRAM_COUNTS)
    // and ends its session at once must find its line already said in the room, not racing its
    // own LEAVE (seen on a busy machine as a line received and never heard).
    bytesReceived.addAndGet(length);
    highest.set(window.highest());
    received.incrementAndGet();
  }

  /** Spends one of the channel's rate tokens, refilled since the last; false if none is left. */
  private boolean takeToken(long nowNanos) {
    tokens = Math.min(burst, tokens + (nowNanos - refilledAt) / 1e9 * perSecond);
    refilledAt = nowNanos;
    if (tokens < 1) {
      return false;
    }
    tokens -= 1;
    return true;
  }

  /** A datagram from {@code from} opened: it is the client's address now, and earns credit. */
  private void believe(SocketAddress from, int length) {
    if (!from.equals(peer)) {
      // The first datagram, or the client's address changed (NAT rebinding): believed only now
      // that a datagram from it opened. A new address starts with no credit of its own: the
      // server never sends an address more than that address sent it.
      if (peer != null) {
        rebinds.incrementAndGet();
      }
      credit.set(0);
      peer = from;
    }
    credit.addAndGet(length);
    synchronized (this) {
      notifyAll(); // a writer may be waiting for this credit
    }
  }

  /**
   * Sends {@code type} and {@code body} to the client's current address as one sealed datagram, if
   * the bytes the client sent from that address cover it: the server never sends an address more
   * bytes than it received from it (no amplification), and nothing to an address no datagram of
   * this channel came from (no reflection). Called by the one thread that writes this member's
   * events.
   */
  public synchronized Sent send(int type, byte[] body) {
    if (1 + body.length > Datagram.MAX_MESSAGE_BYTES) {
      return Sent.TOO_BIG;
    }
    int length = Datagram.HEADER_BYTES + 1 + body.length + Datagram.TAG_BYTES;
    // The member's own writer waits a little for the client's next credit (its acknowledgements
    // of what it received): a client that stops acknowledging backs up its queue and is dropped as
    // a slow member, as over the session.
    long deadline = System.nanoTime() + CREDIT_WAIT_NANOS;
    while (peer == null || !spend(length)) {
      long left = deadline - System.nanoTime();
      if (left <= 0 || closed) {
        noCredit.incrementAndGet();
        return Sent.NO_CREDIT;
      }
      try {
        wait(Math.max(1, left / 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        noCredit.incrementAndGet();
        return Sent.NO_CREDIT;
      }
    }
    SocketAddress to = peer;
    byte[] datagram = sealer.seal(nextSequence++, type, body);
    try {
      socket.send(ByteBuffer.wrap(datagram), to);
      sent.incrementAndGet();
      bytesSent.addAndGet(datagram.length);
    } catch (java.io.IOException e) {
      noCredit.incrementAndGet();
      return Sent.NO_CREDIT;
    }
    return Sent.SENT;
  }

  private boolean spend(long length) {
    while (true) {
      long now = credit.get();
      if (now < length) {
        return false;
      }
      if (credit.compareAndSet(now, now - length)) {
        return true;
      }
    }
  }

  /** The channel is closed: a writer waiting for credit stops waiting (its event is unsent). */
  synchronized void close() {
    closed = true;
    notifyAll();
  }

  /** Datagrams sent to the client. */
  public long sent() {
    return sent.get();
  }

  /** Bytes sent to the client, datagrams whole. */
  public long bytesSent() {
    return bytesSent.get();
  }

  /** Bytes received from the client, datagrams whole. */
  public long bytesReceived() {
    return bytesReceived.get();
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
    return replayed.get()
        + tooOld.get()
        + forged.get()
        + overRate.get()
        + unverifiedOverBudget.get();
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
    counts.put("sent", sent.get());
    counts.put("bytes_sent", bytesSent.get());
    counts.put("unsent_no_credit", noCredit.get());
    counts.put("dropped_replayed", replayed.get());
    counts.put("dropped_too_old", tooOld.get());
    counts.put("dropped_forged", forged.get());
    counts.put("dropped_rate", overRate.get());
    counts.put("dropped_unverified", unverifiedOverBudget.get());
    counts.put("refused", refused.get());
    counts.put("rebinds", rebinds.get());
    return counts;
  }
}
