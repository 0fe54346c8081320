package dev.authgate.protocol.keyfile;

/** The state of a key as of a lookup. */
public enum KeyStatus {
  /** The key may be used. */
  ACTIVE,
  /** The key was revoked. */
  REVOKED,
  /** The key's grace period after rotation is over. */
  EXPIRED,
  /** The client enrolled with a token that needs an operator's approval, not given yet. */
  PENDING,
  /**
   * A key replaced by self-rotation whose successor has been used: whoever still presents it holds
   * a copy of a credential that moved on.
   */
  REPLACED,
  /** The client id is locked after a replaced key was used (an operator unlocks it). */
  LOCKED
}
