package dev.authgate.server.connection;

import dev.authgate.protocol.session.SessionMessage.Close;

/**
 * Where a connection is in its life. Only the connection's own thread leaves HANDSHAKE and OPEN on
 * its own account; other threads may only move it to one of the ending states, which say who ended
 * it, how it is audited and which CLOSE (if any) its owner sends.
 */
enum ConnectionState {
  /** Before WELCOME. */
  HANDSHAKE(null, -1, null),
  /** A verified session, until it ends. */
  OPEN(null, -1, null),
  /** Its key was revoked or removed; the owner sends CLOSE (revoked). */
  REVOKED("revoked", Close.REVOKED, "this client's key was revoked"),
  /**
   * Its client id was locked (a replaced key was used after its successor: two machines hold one
   * credential); the owner sends CLOSE (locked).
   */
  LOCKED(
      "clone-suspected",
      Close.LOCKED,
      "this client id was locked: two machines used one credential"),
  /**
   * Its keystore entry changed and no longer allows this session (chat, or the room it is in); the
   * owner sends CLOSE (not permitted).
   */
  NOT_PERMITTED(
      "not-permitted",
      Close.NOT_PERMITTED,
      "this client's permissions changed and no longer allow this session"),
  /**
   * An operator closed it (the admin API); the owner sends CLOSE (shutdown) with the operator's
   * reason, so an unattended client reconnects as after a restart (revoke keeps one out).
   */
  CLOSED_BY_OPERATOR("closed-by-operator", Close.SHUTDOWN, "closed by an operator"),
  /** The server is stopping; the owner sends CLOSE (shutdown). */
  SHUTTING_DOWN("server-shutdown", Close.SHUTDOWN, "server shutting down"),
  /** A chat member that stopped reading; its writer sends the notice and CLOSE (slow). */
  SLOW_CONSUMER("slow-consumer", -1, "dropped from chat: it stopped reading"),
  /** A write stayed blocked past the write deadline; the socket is closed, nothing more sent. */
  WRITE_TIMEOUT("write-timeout", -1, "a write to the peer blocked past the write deadline");

  private final String outcome;
  private final int closeCode;
  private final String why;

  ConnectionState(String outcome, int closeCode, String why) {
    this.outcome = outcome;
    this.closeCode = closeCode;
    this.why = why;
  }

  boolean ending() {
    return outcome != null;
  }

  /** The {@code session.closed} outcome. */
  String outcome() {
    return outcome;
  }

  /** The CLOSE code the owner sends, or -1 if it sends none. */
  int closeCode() {
    return closeCode;
  }

  /** What the CLOSE says: {@link #why()}, and an operator's reason after it if it gave one. */
  String closeText(String operatorReason) {
    return this == CLOSED_BY_OPERATOR && operatorReason != null ? why + ": " + operatorReason : why;
  }

  /** A sentence for the audit detail and the CLOSE text. */
  String why() {
    return why;
  }
}
