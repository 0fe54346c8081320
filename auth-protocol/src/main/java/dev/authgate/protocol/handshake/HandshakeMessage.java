package dev.authgate.protocol.handshake;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import dev.authgate.protocol.frame.Frame;

/** A decoded handshake frame. Handlers switch over the permitted records exhaustively. */
public sealed interface HandshakeMessage permits Hello, Auth, Welcome, Refusal {
  /**
   * The protocol version this implementation speaks: 2, where HELLO is signed by the server's host
   * key (version 1 had no host key).
   */
  int VERSION = 2;

  /**
   * Decodes a handshake frame.
   *
   * @throws ProtocolException {@link Reason#MALFORMED} for a session frame or a bad layout, {@link
   *     Reason#UNSUPPORTED_VERSION} for a HELLO or AUTH of another version
   */
  static HandshakeMessage decode(Frame frame) throws ProtocolException {
    return switch (frame.type()) {
      case HELLO -> Hello.decode(frame.payload());
      case AUTH -> Auth.decode(frame.payload());
      case WELCOME -> new Welcome(frame.payload());
      case REFUSED -> Refusal.decode(frame.payload());
      case SEALED ->
          throw new ProtocolException(Reason.MALFORMED, "sealed session frame during handshake");
    };
  }

  /** Checks the version field that starts HELLO and AUTH. */
  static int checkVersion(byte[] payload, String what) throws ProtocolException {
    if (payload.length < 2) {
      throw new ProtocolException(Reason.MALFORMED, what + " too short for a version");
    }
    int version = ((payload[0] & 0xff) << 8) | (payload[1] & 0xff);
    if (version != VERSION) {
      String peer = what.equals("HELLO") ? "the server" : "the client";
      throw new ProtocolException(
          Reason.UNSUPPORTED_VERSION,
          peer
              + " speaks protocol version "
              + version
              + (version < VERSION ? " (older: before host keys)" : "")
              + "; this side speaks "
              + VERSION
              + ": upgrade "
              + (version < VERSION ? peer : "this side")
              + " (docs/PROTOCOL.md, \"Versions\")");
    }
    return version;
  }

  /** Checks an exact payload length. */
  static void checkLength(byte[] payload, int expected, String what) throws ProtocolException {
    if (payload.length != expected) {
      throw new ProtocolException(
          Reason.MALFORMED,
          what + " payload is " + payload.length + " bytes; expected " + expected);
    }
  }
}
