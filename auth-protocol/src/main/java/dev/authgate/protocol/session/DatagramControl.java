package dev.authgate.protocol.session;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import java.nio.ByteBuffer;

/**
 * Session messages that open and check a datagram channel (PROTOCOL.md §11.1). Client to server:
 * {@link Open}, {@link Status}. Server to client: {@link Opened}, {@link Counts}.
 */
public sealed interface DatagramControl extends SessionMessage {
  /** Inner type of {@link Open}. */
  byte OPEN = 0x60;

  /** Inner type of {@link Opened}. */
  byte OPENED = 0x61;

  /** Inner type of {@link Status}. */
  byte STATUS = 0x62;

  /** Inner type of {@link Counts}. */
  byte COUNTS = 0x63;

  static DatagramControl decode(byte type, ByteBuffer body) throws ProtocolException {
    BodyReader in = new BodyReader(body, "DATAGRAM");
    DatagramControl message =
        switch (type) {
          case OPEN -> {
            int flags = in.u8();
            if ((flags & ~Open.EVENTS) != 0) {
              throw new ProtocolException(
                  Reason.MALFORMED, "DATAGRAM_OPEN flags " + flags + ": only bit 0 is defined");
            }
            yield new Open((flags & Open.EVENTS) != 0);
          }
          case OPENED -> new Opened(in.bytes(8), in.u16(), in.u16());
          case STATUS -> new Status();
          case COUNTS -> new Counts(in.u64(), in.u64(), in.u64());
          default -> throw new ProtocolException(Reason.MALFORMED, "not a datagram message type");
        };
    in.end();
    return message;
  }

  /**
   * Client to server: open a datagram channel for this session (replacing any open one).
   *
   * @param events whether the room's messages, joins and leaves should come back as datagrams (flag
   *     bit 0) instead of over the session
   */
  record Open(boolean events) implements DatagramControl {
    /** Flag bit 0: chat events as datagrams. */
    public static final int EVENTS = 1;

    /** A channel for sending only. */
    public Open() {
      this(false);
    }

    @Override
    public int type() {
      return OPEN;
    }

    @Override
    public byte[] body() {
      return new byte[] {(byte) (events ? EVENTS : 0)};
    }
  }

  /**
   * Server to client: the channel is open.
   *
   * @param channelId the channel's 8 random bytes, the first 8 of every datagram on it
   * @param udpPort where to send them (the server's host); 0 if this server takes no datagrams, and
   *     then no channel was opened
   * @param perSecond datagrams a second the client may send on the channel (bursts of twice that);
   *     more are dropped
   */
  record Opened(byte[] channelId, int udpPort, int perSecond) implements DatagramControl {
    /** Validates and copies. */
    public Opened {
      if (channelId.length != 8
          || udpPort < 0
          || udpPort > 65535
          || perSecond < 0
          || perSecond > 65535) {
        throw new IllegalArgumentException("an 8-byte channel id, a port and a rate");
      }
      channelId = channelId.clone();
    }

    @Override
    public byte[] channelId() {
      return channelId.clone();
    }

    @Override
    public int type() {
      return OPENED;
    }

    @Override
    public byte[] body() {
      return ByteBuffer.allocate(12)
          .put(channelId)
          .putShort((short) udpPort)
          .putShort((short) perSecond)
          .array();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Opened other
          && java.util.Arrays.equals(channelId, other.channelId)
          && udpPort == other.udpPort
          && perSecond == other.perSecond;
    }

    @Override
    public int hashCode() {
      return 31 * (31 * java.util.Arrays.hashCode(channelId) + udpPort) + perSecond;
    }

    @Override
    public String toString() {
      return "Opened[udpPort=" + udpPort + "]";
    }
  }

  /** Client to server: what has the server received on my channel? */
  record Status() implements DatagramControl {
    @Override
    public int type() {
      return STATUS;
    }

    @Override
    public byte[] body() {
      return new byte[0];
    }
  }

  /**
   * Server to client: the channel's counts so far.
   *
   * @param received datagrams from the client that opened and were accepted
   * @param highest the highest sequence number accepted, or 2^64 - 1 (-1) if none
   * @param dropped datagrams naming the channel that were dropped (replayed, too old, forged, over
   *     the rate)
   */
  record Counts(long received, long highest, long dropped) implements DatagramControl {
    @Override
    public int type() {
      return COUNTS;
    }

    @Override
    public byte[] body() {
      return ByteBuffer.allocate(24).putLong(received).putLong(highest).putLong(dropped).array();
    }
  }
}
