package dev.authgate.protocol.crypto;

import java.security.MessageDigest;
import java.util.Base64;

/**
 * What the server keeps for one client key: StoredKey and ServerKey, never the secret. Enough to
 * check a proof and to sign for the server, not enough to produce a client proof.
 *
 * <p>Immutable and thread-safe. {@link #toString()} shows only the {@link #fingerprint()}.
 */
public final class Verifier {
  private final byte[] storedKey;
  private final byte[] serverKey;

  /** Copies both 32-byte keys. */
  public Verifier(byte[] storedKey, byte[] serverKey) {
    if (storedKey.length != Digests.SHA256_BYTES || serverKey.length != Digests.SHA256_BYTES) {
      throw new IllegalArgumentException("StoredKey and ServerKey must be 32 bytes each");
    }
    this.storedKey = storedKey.clone();
    this.serverKey = serverKey.clone();
  }

  /** StoredKey; a copy. */
  public byte[] storedKey() {
    return storedKey.clone();
  }

  /** ServerKey; a copy. */
  public byte[] serverKey() {
    return serverKey.clone();
  }

  /** ClientSignature = HMAC(StoredKey, authMessage). */
  public byte[] clientSignature(byte[] authMessage) {
    return Digests.hmac(storedKey, authMessage);
  }

  /** ServerSignature = HMAC(ServerKey, authMessage). */
  public byte[] serverSignature(byte[] authMessage) {
    return Digests.hmac(serverKey, authMessage);
  }

  /**
   * Recovers ClientKey from a proof and checks it in constant time: SHA-256(proof XOR
   * ClientSignature) must equal StoredKey.
   *
   * @return the recovered ClientKey if the proof verifies, otherwise null
   */
  public byte[] verifyProof(byte[] authMessage, byte[] proof) {
    if (proof.length != Digests.SHA256_BYTES) {
      return null;
    }
    byte[] clientKey = Digests.xor(proof, clientSignature(authMessage));
    boolean ok = MessageDigest.isEqual(storedKey, Digests.sha256(clientKey));
    return ok ? clientKey : null;
  }

  /**
   * A public fingerprint: "SHA256:" and the unpadded base64 of SHA-256(StoredKey). The client can
   * compute the same value from its credential, so operators can match the two.
   */
  public String fingerprint() {
    return "SHA256:"
        + Base64.getEncoder().withoutPadding().encodeToString(Digests.sha256(storedKey));
  }

  @Override
  public String toString() {
    return "Verifier[" + fingerprint() + "]";
  }
}
