package dev.authgate.protocol.crypto;

import java.nio.charset.StandardCharsets;

/**
 * The SCRAM key hierarchy (RFC 5802 section 3, SHA-256) derived from a client's secret S. No
 * password stretching: secrets are 32 random bytes, so SaltedPassword is S itself.
 *
 * <p>ClientKey = HMAC(S, "Client Key"), StoredKey = SHA-256(ClientKey), ServerKey = HMAC(S, "Server
 * Key"). Immutable; {@link #toString()} hides every key.
 */
public final class ScramKeys {
  private static final byte[] CLIENT_KEY_LABEL = "Client Key".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] SERVER_KEY_LABEL = "Server Key".getBytes(StandardCharsets.US_ASCII);

  private final byte[] clientKey;
  private final Verifier verifier;

  private ScramKeys(byte[] clientKey, Verifier verifier) {
    this.clientKey = clientKey;
    this.verifier = verifier;
  }

  /** Derives all keys from the salted password (for authgate: the 32-byte secret). */
  public static ScramKeys fromSaltedPassword(byte[] saltedPassword) {
    byte[] clientKey = Digests.hmac(saltedPassword, CLIENT_KEY_LABEL);
    byte[] storedKey = Digests.sha256(clientKey);
    byte[] serverKey = Digests.hmac(saltedPassword, SERVER_KEY_LABEL);
    return new ScramKeys(clientKey, new Verifier(storedKey, serverKey));
  }

  /** ClientKey; a copy. Secret: it is what a proof proves possession of. */
  public byte[] clientKey() {
    return clientKey.clone();
  }

  /** What the server stores: StoredKey and ServerKey. */
  public Verifier verifier() {
    return verifier;
  }

  /** ClientProof = ClientKey XOR HMAC(StoredKey, authMessage). */
  public byte[] clientProof(byte[] authMessage) {
    return Digests.xor(clientKey, verifier.clientSignature(authMessage));
  }

  @Override
  public String toString() {
    return "ScramKeys[hidden]";
  }
}
