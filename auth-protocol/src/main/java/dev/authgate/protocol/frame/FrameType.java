package dev.authgate.protocol.frame;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;

/** The outer type byte of a frame. Sealed session messages carry their own inner type. */
public enum FrameType {
  /** Server to client, in clear: version, challenge, server ephemeral key. */
  HELLO(0x01),
  /** Client to server: version, nonce, client ephemeral key, sealed identity and proof. */
  AUTH(0x02),
  /** Server to client, sealed: the server signature and server id. */
  WELCOME(0x03),
  /** Either direction, in clear: one refusal code, then the connection closes. */
  REFUSED(0x04),
  /** Either direction after the handshake: an AES-256-GCM sealed session message. */
  SEALED(0x10);

  private final int code;

  FrameType(int code) {
    this.code = code;
  }

  /** The byte on the wire. */
  public int code() {
    return code;
  }

  /**
   * The type for a wire byte.
   *
   * @throws ProtocolException with {@link Reason#MALFORMED} for an unknown byte
   */
  public static FrameType of(int code) throws ProtocolException {
    for (FrameType type : values()) {
      if (type.code == code) {
        return type;
      }
    }
    throw new ProtocolException(
        Reason.MALFORMED, String.format("unknown frame type 0x%02x", code & 0xff));
  }
}
