package dev.authgate.protocol.handshake;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;

/**
 * REFUSED, in clear: one code byte, then the sender closes. Every authentication failure (unknown
 * client, bad proof, revoked or expired key) sends the same {@link Code#AUTH_REFUSED}; only the
 * audit log knows which.
 *
 * @param code why, as much as the peer may know
 */
public record Refusal(Code code) implements HandshakeMessage {
  /** Refusal codes on the wire. */
  public enum Code {
    /** Authentication failed, for whatever reason. */
    AUTH_REFUSED(0x01),
    /** A frame or message was malformed. */
    PROTOCOL_ERROR(0x02),
    /** The protocol version is not supported. */
    UNSUPPORTED_VERSION(0x03),
    /** The handshake deadline passed. */
    TIMEOUT(0x04),
    /**
     * The server is busy, the source is penalised or the client has too many sessions: try again
     * later.
     */
    TRY_LATER(0x05);

    private final int wire;

    Code(int wire) {
      this.wire = wire;
    }

    /** The byte on the wire. */
    public int wire() {
      return wire;
    }

    /** What the peer is told for a failure of this reason. */
    public static Code forReason(Reason reason) {
      return switch (reason) {
        case UNKNOWN_CLIENT,
            BAD_PROOF,
            REVOKED_KEY,
            EXPIRED_KEY,
            PENDING_APPROVAL,
            REFUSED,
            SERVER_NOT_VERIFIED,
            HOST_KEY_NOT_TRUSTED,
            NOT_PERMITTED ->
            AUTH_REFUSED;
        case UNSUPPORTED_VERSION -> UNSUPPORTED_VERSION;
        case HANDSHAKE_TIMEOUT -> TIMEOUT;
        case PENALIZED, OVERLOADED, SESSION_LIMIT -> TRY_LATER;
        case MALFORMED, PROXY_HEADER, INTEGRITY, CONNECTION_LOST -> PROTOCOL_ERROR;
      };
    }
  }

  /** The payload bytes. */
  public byte[] encode() {
    return new byte[] {(byte) code.wire};
  }

  static Refusal decode(byte[] payload) throws ProtocolException {
    HandshakeMessage.checkLength(payload, 1, "REFUSED");
    for (Code code : Code.values()) {
      if (code.wire == (payload[0] & 0xff)) {
        return new Refusal(code);
      }
    }
    throw new ProtocolException(
        Reason.MALFORMED, String.format("unknown refusal code 0x%02x", payload[0] & 0xff));
  }
}
