package dev.authgate.protocol;

/**
 * Why a connection or session ended badly. The audit names are part of the audit-log contract
 * (docs/OPERATIONS.md) and must not change.
 */
public enum Reason {
  /** The claimed client id has no key in the keystore (or is not a valid id). */
  UNKNOWN_CLIENT("unknown-client"),
  /** The client proof did not verify against the stored verifier. */
  BAD_PROOF("bad-proof"),
  /** The proof verified, but the key was revoked. */
  REVOKED_KEY("revoked-key"),
  /** The proof verified, but the key's grace period is over. */
  EXPIRED_KEY("expired-key"),
  /**
   * The proof verified, but the client enrolled with a token that needs approval, not given yet.
   */
  PENDING_APPROVAL("pending-approval"),
  /**
   * The proof verified, but with a key whose successor was used already (two holders of one
   * credential: the client id is locked), or the client id is locked for that reason.
   */
  CLONE_SUSPECTED("clone-suspected"),
  /** The handshake did not complete within its total deadline. */
  HANDSHAKE_TIMEOUT("handshake-timeout"),
  /** Bytes that do not form a valid frame or message: bad type, size, layout or seal. */
  MALFORMED("malformed"),
  /**
   * A PROXY protocol header that is missing, malformed or too slow from a trusted proxy, or one
   * sent by an address that is not a trusted proxy.
   */
  PROXY_HEADER("proxy-header"),
  /** The peer speaks a protocol version this side does not. */
  UNSUPPORTED_VERSION("unsupported-version"),
  /** The source address is serving a penalty for earlier failures. */
  PENALIZED("penalized"),
  /** Too many connections are in their handshake, in all or from this source. */
  OVERLOADED("overloaded"),
  /**
   * The proof verified, but this client, or the server as a whole, already has as many verified
   * sessions as it may.
   */
  SESSION_LIMIT("session-limit"),
  /** A sealed frame failed to open after the handshake: altered, reordered or replayed. */
  INTEGRITY("integrity"),
  /** Client side: the server refused the client. */
  REFUSED("refused"),
  /**
   * Client side: the server could not prove it holds this client's verifier, or its HELLO is not
   * signed by the host key it names.
   */
  SERVER_NOT_VERIFIED("server-not-verified"),
  /**
   * Client side: the server signed with a host key this client does not pin (or the client pins
   * none and was not told to accept a new one).
   */
  HOST_KEY_NOT_TRUSTED("host-key-not-trusted"),
  /** The peer closed the connection in the middle of a frame or exchange. */
  CONNECTION_LOST("connection-lost"),
  /**
   * The client is verified, but its keystore entry does not allow what it asked (a session kind;
   * rooms and upload limits have their own reasons).
   */
  NOT_PERMITTED("not-permitted");

  private final String auditName;

  Reason(String auditName) {
    this.auditName = auditName;
  }

  /** The stable lower-case name used in audit records and messages. */
  public String auditName() {
    return auditName;
  }
}
