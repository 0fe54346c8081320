package dev.authgate.protocol.handshake;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import java.time.Duration;

/**
 * REFUSED, in clear: a code byte (and, for {@link Code#PENALIZED} only, how many seconds the
 * penalty has left), then the sender closes. A failure a stranger can cause (an unknown client, a
 * wrong proof) sends the same {@link Code#AUTH_REFUSED}, so it reveals nothing; only a client whose
 * proof verified is told its key's state (pending, revoked, expired), since it holds the secret.
 *
 * @param code why, as much as the peer may know
 * @param retryAfterSeconds for {@link Code#PENALIZED}, the seconds the penalty has left (0..65535);
 *     0 for every other code
 */
public record Refusal(Code code, int retryAfterSeconds) implements HandshakeMessage {
  /** The most seconds a refusal can say (the field is 16 bits). */
  public static final int MOST_SECONDS = 0xffff;

  /** Refusal codes on the wire (docs/PROTOCOL.md §6). */
  public enum Code {
    /** Authentication failed: an unknown client or a wrong proof (the peer is not told which). */
    AUTH_REFUSED(0x01),
    /** A frame or message was malformed. */
    PROTOCOL_ERROR(0x02),
    /** The protocol version is not supported. */
    UNSUPPORTED_VERSION(0x03),
    /** The handshake deadline passed. */
    TIMEOUT(0x04),
    /** The server is busy or the client has too many sessions: try again later. */
    TRY_LATER(0x05),
    /** The source address is serving a penalty for earlier failures; says for how long. */
    PENALIZED(0x06),
    /** The proof verified; the client waits for an operator's approval. */
    PENDING_APPROVAL(0x07),
    /** The proof verified; the key was revoked (or the machine denied) by an operator. */
    KEY_REVOKED(0x08),
    /** The proof verified; the key expired (or the token expired or was used up). */
    KEY_EXPIRED(0x09),
    /**
     * The proof verified; the client id is locked because two machines used one credential (a
     * replaced key after its successor).
     */
    KEY_LOCKED(0x0a);

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
            REFUSED,
            SERVER_NOT_VERIFIED,
            HOST_KEY_NOT_TRUSTED,
            NOT_PERMITTED ->
            AUTH_REFUSED;
        case PENDING_APPROVAL -> Code.PENDING_APPROVAL;
        case REVOKED_KEY -> KEY_REVOKED;
        case EXPIRED_KEY -> KEY_EXPIRED;
        case CLONE_SUSPECTED -> KEY_LOCKED;
        case UNSUPPORTED_VERSION -> Code.UNSUPPORTED_VERSION;
        case HANDSHAKE_TIMEOUT -> TIMEOUT;
        case PENALIZED -> Code.PENALIZED;
        case OVERLOADED, SESSION_LIMIT -> TRY_LATER;
        case MALFORMED, PROXY_HEADER, INTEGRITY, CONNECTION_LOST -> PROTOCOL_ERROR;
      };
    }
  }

  public Refusal {
    if (retryAfterSeconds < 0 || retryAfterSeconds > MOST_SECONDS) {
      throw new IllegalArgumentException("retryAfterSeconds out of range: " + retryAfterSeconds);
    }
    if (code != Code.PENALIZED && retryAfterSeconds != 0) {
      throw new IllegalArgumentException("only PENALIZED says how long");
    }
  }

  /** A refusal of {@code code}, which is not {@link Code#PENALIZED}. */
  public Refusal(Code code) {
    this(code, 0);
  }

  /**
   * The refusal of a source serving a penalty with {@code left} to go, rounded up to whole seconds
   * (at least 1, at most {@link #MOST_SECONDS}).
   */
  public static Refusal penalized(Duration left) {
    long seconds = Math.max(1, (left.toMillis() + 999) / 1000);
    return new Refusal(Code.PENALIZED, (int) Math.min(MOST_SECONDS, seconds));
  }

  /** The payload bytes. */
  public byte[] encode() {
    if (code == Code.PENALIZED) {
      return new byte[] {
        (byte) code.wire, (byte) (retryAfterSeconds >>> 8), (byte) retryAfterSeconds
      };
    }
    return new byte[] {(byte) code.wire};
  }

  static Refusal decode(byte[] payload) throws ProtocolException {
    if (payload.length == 0) {
      throw new ProtocolException(Reason.MALFORMED, "REFUSED payload is empty");
    }
    int wire = payload[0] & 0xff;
    for (Code code : Code.values()) {
      if (code.wire == wire) {
        if (code == Code.PENALIZED) {
          HandshakeMessage.checkLength(payload, 3, "REFUSED (penalized)");
          int seconds = ((payload[1] & 0xff) << 8) | (payload[2] & 0xff);
          if (seconds == 0) {
            // At least 1: a 0 would make a client knock again at once (docs/PROTOCOL.md §6).
            throw new ProtocolException(
                Reason.MALFORMED, "REFUSED (penalized) says 0 s left; it says at least 1");
          }
          return new Refusal(code, seconds);
        }
        HandshakeMessage.checkLength(payload, 1, "REFUSED");
        return new Refusal(code);
      }
    }
    throw new ProtocolException(
        Reason.MALFORMED, String.format("unknown refusal code 0x%02x", wire));
  }
}
