package dev.authgate.protocol.session;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Chat messages. A connection is in at most one room at a time. Client to server: {@link Join}
 * (leaving any current room), {@link Say}, {@link Who}, {@link Rooms}, {@link Leave}. Server to
 * client: {@link Event}, which carries messages, join and leave notices, answers and errors.
 *
 * <p>{@link Say} carries raw bytes: the server, not the frame decoder, checks they are valid UTF-8
 * within the size limit, so a bad message earns an error event and the session carries on.
 */
public sealed interface ChatMessage extends SessionMessage {
  /** Inner type of {@link Join}. */
  byte JOIN = 0x30;

  /** Inner type of {@link Say}. */
  byte SAY = 0x31;

  /** Inner type of {@link Who}. */
  byte WHO = 0x32;

  /** Inner type of {@link Rooms}. */
  byte ROOMS = 0x33;

  /** Inner type of {@link Leave}. */
  byte LEAVE = 0x34;

  /** Inner type of {@link Event}. */
  byte EVENT = 0x38;

  static ChatMessage decode(byte type, ByteBuffer body) throws ProtocolException {
    BodyReader in = new BodyReader(body, "CHAT");
    ChatMessage message =
        switch (type) {
          case JOIN -> Join.decode(in, body);
          case SAY -> {
            byte[] text = new byte[body.remaining()];
            body.get(text);
            yield new Say(text);
          }
          case WHO -> new Who();
          case ROOMS -> new Rooms();
          case LEAVE -> new Leave();
          case EVENT -> Event.decode(in);
          default -> throw new ProtocolException(Reason.MALFORMED, "not a chat message type");
        };
    in.end();
    return message;
  }

  /**
   * Join {@code room} (creating it), leaving the current room. {@code room_len u8 | room [| flags
   * u8]}: without the flags byte, a member that hears the room.
   *
   * @param room the room name
   * @param speakOnly flag bit 0: this member only speaks (a script, telemetry); it is sent its own
   *     JOINED and answers to its requests, never the room's history, messages, joins or leaves, so
   *     it cannot fall behind the room
   */
  record Join(String room, boolean speakOnly) implements ChatMessage {
    /** Bit 0 of the flags byte. */
    static final int SPEAK_ONLY = 0x01;

    /** A member that hears the room. */
    public Join(String room) {
      this(room, false);
    }

    @Override
    public int type() {
      return JOIN;
    }

    @Override
    public byte[] body() {
      byte[] utf8 = room.getBytes(StandardCharsets.UTF_8);
      if (utf8.length > 255) {
        // its length is one byte: a longer name would be sent cut and read as a malformed frame
        throw new IllegalArgumentException(
            "a room name is at most 255 bytes; this one is " + utf8.length);
      }
      ByteBuffer body =
          ByteBuffer.allocate(1 + utf8.length + (speakOnly ? 1 : 0))
              .put((byte) utf8.length)
              .put(utf8);
      if (speakOnly) {
        body.put((byte) SPEAK_ONLY);
      }
      return body.array();
    }

    static Join decode(BodyReader in, ByteBuffer body) throws ProtocolException {
      String room = in.utf8(in.u8());
      if (!body.hasRemaining()) {
        return new Join(room, false);
      }
      int flags = in.u8();
      if ((flags & ~SPEAK_ONLY) != 0) {
        throw new ProtocolException(
            Reason.MALFORMED, "CHAT_JOIN flags are " + flags + "; only bit 0 is defined");
      }
      return new Join(room, flags == SPEAK_ONLY);
    }
  }

  /**
   * Say something in the current room.
   *
   * @param text the message, UTF-8; checked by the server
   */
  record Say(byte[] text) implements ChatMessage {
    /** A message from a string. */
    public static Say of(String text) {
      return new Say(text.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public int type() {
      return SAY;
    }

    @Override
    public byte[] body() {
      return text;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Say s && Arrays.equals(s.text, text);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(text);
    }

    @Override
    public String toString() {
      return "Say[" + text.length + " bytes]";
    }
  }

  /** Ask who is in the current room. */
  record Who() implements ChatMessage {
    @Override
    public int type() {
      return WHO;
    }

    @Override
    public byte[] body() {
      return new byte[0];
    }
  }

  /** Ask which rooms exist. */
  record Rooms() implements ChatMessage {
    @Override
    public int type() {
      return ROOMS;
    }

    @Override
    public byte[] body() {
      return new byte[0];
    }
  }

  /** Leave the current room and stay connected. */
  record Leave() implements ChatMessage {
    @Override
    public int type() {
      return LEAVE;
    }

    @Override
    public byte[] body() {
      return new byte[0];
    }
  }

  /**
   * Something happened: {@code kind u8 | ts u64 (epoch ms) | room_len u8 | room | from_len u8 |
   * from | text_len u16 | text}.
   *
   * @param kind what kind of event
   * @param timestamp when the server saw it, epoch milliseconds
   * @param room the room it happened in (empty if none)
   * @param from the authenticated client id it came from (empty for the server)
   * @param text the message, the list asked for, or the explanation
   */
  record Event(Kind kind, long timestamp, String room, String from, String text)
      implements ChatMessage {
    /** Kinds of event; the names are the {@code type} field of the client's JSON output. */
    public enum Kind {
      /** A member said something. */
      MESSAGE(1),
      /** A member joined the room. */
      JOINED(2),
      /** A member left the room (or was dropped). */
      LEFT(3),
      /** The answer to WHO: member ids, comma separated. */
      WHO(4),
      /** The answer to ROOMS: {@code name:members}, comma separated. */
      ROOMS(5),
      /** A request was refused; the session carries on. */
      ERROR(6),
      /** A message from before this member joined, replayed on join. */
      HISTORY(7),
      /** Something the server wants this member to know (dropped, shutting down). */
      NOTICE(8);

      private final int wire;

      Kind(int wire) {
        this.wire = wire;
      }

      static Kind of(int wire) throws ProtocolException {
        for (Kind kind : values()) {
          if (kind.wire == wire) {
            return kind;
          }
        }
        throw new ProtocolException(Reason.MALFORMED, "unknown chat event kind " + wire);
      }
    }

    @Override
    public int type() {
      return EVENT;
    }

    @Override
    public byte[] body() {
      byte[] r = room.getBytes(StandardCharsets.UTF_8);
      byte[] f = from.getBytes(StandardCharsets.UTF_8);
      byte[] t = text.getBytes(StandardCharsets.UTF_8);
      int textLength = Math.min(t.length, 65_535);
      return ByteBuffer.allocate(1 + 8 + 1 + r.length + 1 + f.length + 2 + textLength)
          .put((byte) kind.wire)
          .putLong(timestamp)
          .put((byte) r.length)
          .put(r)
          .put((byte) f.length)
          .put(f)
          .putShort((short) textLength)
          .put(t, 0, textLength)
          .array();
    }

    /**
     * Decodes a CHAT_EVENT body on its own (as an EVENT datagram carries it).
     *
     * @throws ProtocolException if it does not fit the layout
     */
    public static Event decodeBody(byte[] body) throws ProtocolException {
      BodyReader in = new BodyReader(java.nio.ByteBuffer.wrap(body), "CHAT_EVENT");
      Event event = decode(in);
      in.end();
      return event;
    }

    static Event decode(BodyReader in) throws ProtocolException {
      Kind kind = Kind.of(in.u8());
      long ts = in.u64();
      String room = in.utf8(in.u8());
      String from = in.utf8(in.u8());
      String text = in.utf8(in.u16());
      return new Event(kind, ts, room, from, text);
    }
  }
}
