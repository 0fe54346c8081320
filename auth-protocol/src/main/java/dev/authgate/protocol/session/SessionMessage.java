package dev.authgate.protocol.session;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A message inside a sealed frame: {@code inner_type u8 | body}. Handlers switch over the permitted
 * records exhaustively.
 */
public sealed interface SessionMessage
    permits SessionMessage.Ping,
        SessionMessage.Pong,
        SessionMessage.Close,
        UploadBegin,
        UploadReady,
        UploadData,
        UploadEnd,
        UploadResult,
        ChatMessage,
        Enroll,
        EnrollResult,
        ListFiles,
        FileListing,
        ListRefused,
        GetFile,
        GetReady,
        GetData,
        GetEnd,
        DatagramControl,
        RotateKey,
        RotateResult {
  /** The inner type byte. */
  int type();

  /** The body bytes after the inner type. */
  byte[] body();

  /**
   * Decodes a sealed frame's plaintext.
   *
   * @throws ProtocolException {@link Reason#MALFORMED} for an unknown type or bad body
   */
  static SessionMessage decode(byte[] plain) throws ProtocolException {
    return decode(plain, plain.length);
  }

  /**
   * Decodes the first {@code length} bytes of {@code plain}. An UPLOAD_DATA or GET_DATA keeps a
   * view of {@code plain}; every other message copies what it keeps.
   *
   * @throws ProtocolException {@link Reason#MALFORMED} for an unknown type or bad body
   */
  static SessionMessage decode(byte[] plain, int length) throws ProtocolException {
    if (length == 0) {
      throw new ProtocolException(Reason.MALFORMED, "empty session message");
    }
    ByteBuffer body = ByteBuffer.wrap(plain, 1, length - 1).slice();
    return switch (plain[0]) {
      case Ping.TYPE -> new Ping(readLong(body, "PING"));
      case Pong.TYPE -> new Pong(readLong(body, "PONG"));
      case Close.TYPE -> Close.decode(body);
      case UploadBegin.TYPE -> UploadBegin.decode(new BodyReader(body, "UPLOAD_BEGIN"));
      case UploadReady.TYPE -> UploadReady.decode(new BodyReader(body, "UPLOAD_READY"));
      case UploadData.TYPE -> UploadData.decode(body);
      case UploadEnd.TYPE -> UploadEnd.decode(new BodyReader(body, "UPLOAD_END"));
      case UploadResult.TYPE -> UploadResult.decode(new BodyReader(body, "UPLOAD_RESULT"));
      case Enroll.TYPE -> Enroll.decode(new BodyReader(body, "ENROLL"));
      case EnrollResult.TYPE -> EnrollResult.decode(new BodyReader(body, "ENROLL_RESULT"));
      case ListFiles.TYPE -> ListFiles.decode(new BodyReader(body, "LIST_FILES"));
      case FileListing.TYPE -> FileListing.decode(new BodyReader(body, "FILE_LISTING"));
      case ListRefused.TYPE -> ListRefused.decode(new BodyReader(body, "LIST_REFUSED"));
      case GetFile.TYPE -> GetFile.decode(new BodyReader(body, "GET_FILE"));
      case GetReady.TYPE -> GetReady.decode(new BodyReader(body, "GET_READY"));
      case GetData.TYPE -> GetData.decode(body);
      case GetEnd.TYPE -> GetEnd.decode(new BodyReader(body, "GET_END"));
      case RotateKey.TYPE -> RotateKey.decode(new BodyReader(body, "ROTATE_KEY"));
      case RotateResult.TYPE -> RotateResult.decode(new BodyReader(body, "ROTATE_RESULT"));
      case ChatMessage.JOIN,
          ChatMessage.SAY,
          ChatMessage.WHO,
          ChatMessage.ROOMS,
          ChatMessage.LEAVE,
          ChatMessage.EVENT ->
          ChatMessage.decode(plain[0], body);
      case DatagramControl.OPEN,
          DatagramControl.OPENED,
          DatagramControl.STATUS,
          DatagramControl.COUNTS ->
          DatagramControl.decode(plain[0], body);
      default ->
          throw new ProtocolException(
              Reason.MALFORMED, String.format("unknown session message type 0x%02x", plain[0]));
    };
  }

  private static long readLong(ByteBuffer body, String what) throws ProtocolException {
    if (body.remaining() != 8) {
      throw new ProtocolException(Reason.MALFORMED, what + " body must be 8 bytes");
    }
    return body.getLong();
  }

  /**
   * Asks the peer to echo {@code token}; the answer is a {@link Pong}.
   *
   * @param token any value, echoed back
   */
  record Ping(long token) implements SessionMessage {
    static final byte TYPE = 0x01;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public byte[] body() {
      return ByteBuffer.allocate(8).putLong(token).array();
    }
  }

  /**
   * The answer to a {@link Ping}.
   *
   * @param token the ping's token
   */
  record Pong(long token) implements SessionMessage {
    static final byte TYPE = 0x02;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public byte[] body() {
      return ByteBuffer.allocate(8).putLong(token).array();
    }
  }

  /**
   * The sender is ending the session on purpose; the receiver closes too. A connection that ends
   * without a CLOSE was cut or truncated.
   *
   * @param code why: see docs/PROTOCOL.md
   * @param text a short human-readable reason, at most 255 bytes of UTF-8
   */
  record Close(int code, String text) implements SessionMessage {
    static final byte TYPE = 0x0f;

    /** Normal end of session. */
    public static final int NORMAL = 0;

    /** The server is shutting down. */
    public static final int SHUTDOWN = 1;

    /** The client's key was revoked. */
    public static final int REVOKED = 2;

    /** The session was idle too long. */
    public static final int IDLE = 3;

    /** The peer broke the protocol. */
    public static final int PROTOCOL_ERROR = 4;

    /** The peer stopped reading and fell too far behind (a chat member's queue filled). */
    public static final int SLOW = 5;

    /**
     * The client may not do what it asked (a session kind its keystore entry does not allow, e.g.
     * chat for an upload-only machine); the text says what.
     */
    public static final int NOT_PERMITTED = 6;

    /**
     * The client id is locked: a replaced key was used after its successor, so two machines hold
     * one credential (an operator's {@code keys unlock} or {@code keys rotate} lets it in again).
     */
    public static final int LOCKED = 7;

    @Override
    public int type() {
      return TYPE;
    }

    @Override
    public byte[] body() {
      byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
      int length = Math.min(utf8.length, 255);
      return ByteBuffer.allocate(2 + length)
          .put((byte) code)
          .put((byte) length)
          .put(utf8, 0, length)
          .array();
    }

    static Close decode(ByteBuffer body) throws ProtocolException {
      if (body.remaining() < 2 || body.remaining() != 2 + (body.get(1) & 0xff)) {
        throw new ProtocolException(Reason.MALFORMED, "CLOSE body has a bad length");
      }
      // Strict UTF-8 like every other text field (the fuzzer found CLOSE decoding leniently).
      BodyReader in = new BodyReader(body, "CLOSE");
      int code = in.u8();
      String text = in.utf8(in.u8());
      in.end();
      return new Close(code, text);
    }
  }
}
