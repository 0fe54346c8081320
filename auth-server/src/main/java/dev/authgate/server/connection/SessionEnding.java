package dev.authgate.server.connection;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import dev.authgate.protocol.session.SessionMessage.Close;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;

/**
 * How a session ended: its audit outcome and detail, and the CLOSE (code and text; code -1 for
 * none) that tells the client so.
 */
record SessionEnding(String outcome, String detail, int closeCode, String closeText) {
  SessionEnding(String outcome, String detail, int closeCode) {
    this(outcome, detail, closeCode, detail);
  }

  /** The ending a failure of the session's reads, writes or rules means. */
  static SessionEnding of(IOException e, Duration idleTimeout) {
    return switch (e) {
      case NotPermitted n ->
          new SessionEnding(Reason.NOT_PERMITTED.auditName(), n.getMessage(), Close.NOT_PERMITTED);
      case ControlBudget.ControlFlood f ->
          new SessionEnding("flood", f.getMessage(), Close.PROTOCOL_ERROR, "too many requests");
      case SocketTimeoutException t ->
          new SessionEnding(
              "idle-timeout", null, Close.IDLE, "idle for " + idleTimeout.toSeconds() + " s");
      case EOFException eof ->
          new SessionEnding("connection-lost", "the client closed without CLOSE", -1);
      case ProtocolException p ->
          new SessionEnding(
              p.reason().auditName(), p.getMessage(), Close.PROTOCOL_ERROR, p.reason().auditName());
      default -> new SessionEnding("connection-lost", e.getMessage(), -1);
    };
  }

  /** Whether the client ended it with CLOSE. */
  boolean byClient() {
    return outcome.equals("closed");
  }
}
