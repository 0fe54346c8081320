package dev.authgate.protocol.handshake;

import dev.authgate.protocol.crypto.Digests;
import dev.authgate.protocol.crypto.DirectionKeys;
import dev.authgate.protocol.crypto.Hkdf;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Every value both sides derive from one handshake's public bytes and shared secret. See
 * docs/PROTOCOL.md, "Key schedule".
 *
 * <ul>
 *   <li>H0 = SHA-256(HELLO payload | AUTH clear part)
 *   <li>handshake PRK = HKDF-Extract(salt = H0, ikm = X25519 shared secret)
 *   <li>T = SHA-256(HELLO payload | AUTH clear part | id_len | client id | key_id_len | key id)
 *   <li>session PRK = HKDF-Extract(salt = T, ikm = X25519 shared secret | ClientKey)
 * </ul>
 *
 * Immutable; {@link #toString()} hides everything.
 */
public final class KeySchedule {
  static final String HS_C2S = "authgate/1 hs c2s";
  static final String HS_S2C = "authgate/1 hs s2c";
  static final String SESSION_C2S = "authgate/1 c2s";
  static final String SESSION_S2C = "authgate/1 s2c";

  private final byte[] transcriptPrefix;
  private final byte[] sharedSecret;
  private final byte[] handshakePrk;

  /**
   * @param helloPayload the HELLO payload exactly as sent
   * @param authClear the clear part of AUTH exactly as sent
   * @param sharedSecret the X25519 shared secret
   */
  public KeySchedule(byte[] helloPayload, byte[] authClear, byte[] sharedSecret) {
    this.transcriptPrefix = concat(helloPayload, authClear);
    this.sharedSecret = sharedSecret.clone();
    this.handshakePrk = Hkdf.extract(Digests.sha256(transcriptPrefix), this.sharedSecret);
  }

  /** H0, the hash of the transcript before any identity. */
  public byte[] h0() {
    return Digests.sha256(transcriptPrefix);
  }

  /** Keys sealing the AUTH identity. */
  public DirectionKeys handshakeClientToServer() {
    return DirectionKeys.expand(handshakePrk, HS_C2S);
  }

  /** Keys sealing WELCOME. */
  public DirectionKeys handshakeServerToClient() {
    return DirectionKeys.expand(handshakePrk, HS_S2C);
  }

  /** T, the SCRAM AuthMessage: the whole transcript including the claimed identity. */
  public byte[] authMessage(String clientId, String keyId) {
    byte[] id = clientId.getBytes(StandardCharsets.UTF_8);
    byte[] kid = keyId.getBytes(StandardCharsets.UTF_8);
    return Digests.sha256(
        transcriptPrefix, new byte[] {(byte) id.length}, id, new byte[] {(byte) kid.length}, kid);
  }

  /** The label of the session's datagram secret (PROTOCOL.md §11.2). */
  static final String DATAGRAM_SECRET = "authgate/1 dg";

  /** The session keys, bound to the shared secret, ClientKey and T. */
  public SessionKeys sessionKeys(byte[] authMessage, byte[] clientKey) {
    byte[] prk = Hkdf.extract(authMessage, concat(sharedSecret, clientKey));
    return new SessionKeys(
        DirectionKeys.expand(prk, SESSION_C2S),
        DirectionKeys.expand(prk, SESSION_S2C),
        Hkdf.expand(prk, DATAGRAM_SECRET, 32));
  }

  private static byte[] concat(byte[] a, byte[] b) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(a.length + b.length);
    out.writeBytes(a);
    out.writeBytes(b);
    return out.toByteArray();
  }

  @Override
  public String toString() {
    return "KeySchedule[hidden]";
  }
}
