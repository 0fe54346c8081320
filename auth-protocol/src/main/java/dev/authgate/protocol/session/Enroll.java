package dev.authgate.protocol.session;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Client to server, on a token session only: enroll this machine. {@code id_len u8 | id |
 * stored_key[32] | server_key[32]} — the id it asks for (empty: the token's, or one the server
 * makes from the token's prefix) and the verifiers of the secret it generated; never the secret.
 *
 * @param clientId the requested client id, or empty
 * @param storedKey SHA-256(ClientKey) of the new secret
 * @param serverKey HMAC(secret, "Server Key")
 */
public record Enroll(String clientId, byte[] storedKey, byte[] serverKey)
    implements SessionMessage {
  static final byte TYPE = 0x40;

  /** Validates sizes. */
  public Enroll {
    if (storedKey.length != 32 || serverKey.length != 32) {
      throw new IllegalArgumentException("verifier keys are 32 bytes");
    }
    if (clientId.getBytes(StandardCharsets.UTF_8).length > 64) {
      throw new IllegalArgumentException("a client id is at most 64 bytes");
    }
    storedKey = storedKey.clone();
    serverKey = serverKey.clone();
  }

  @Override
  public int type() {
    return TYPE;
  }

  @Override
  public byte[] storedKey() {
    return storedKey.clone();
  }

  @Override
  public byte[] serverKey() {
    return serverKey.clone();
  }

  @Override
  public byte[] body() {
    byte[] id = clientId.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(1 + id.length + 64)
        .put((byte) id.length)
        .put(id)
        .put(storedKey)
        .put(serverKey)
        .array();
  }

  static Enroll decode(BodyReader in) throws ProtocolException {
    int length = in.u8();
    if (length > 64) {
      throw new ProtocolException(Reason.MALFORMED, "ENROLL id is " + length + " bytes, over 64");
    }
    String id = in.utf8(length);
    byte[] stored = in.bytes(32);
    byte[] server = in.bytes(32);
    in.end();
    return new Enroll(id, stored, server);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Enroll e
        && e.clientId.equals(clientId)
        && Arrays.equals(e.storedKey, storedKey)
        && Arrays.equals(e.serverKey, serverKey);
  }

  @Override
  public int hashCode() {
    return clientId.hashCode() * 31 + Arrays.hashCode(storedKey);
  }

  @Override
  public String toString() {
    return "Enroll[" + clientId + "]";
  }
}
