package dev.authgate.protocol.session;

import dev.authgate.protocol.ProtocolException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Client to server, only in a session whose WELCOME asked the client to rotate (docs/PROTOCOL.md
 * §5.7): {@code stored_key[32] | server_key[32]}, the verifiers of a secret the client generated
 * just now. The secret never leaves the machine.
 *
 * @param storedKey SHA-256(ClientKey) of the new secret
 * @param serverKey HMAC(secret, "Server Key")
 */
public record RotateKey(byte[] storedKey, byte[] serverKey) implements SessionMessage {
  static final byte TYPE = 0x70;

  /** Validates sizes and copies. */
  public RotateKey {
    if (storedKey.length != 32 || serverKey.length != 32) {
      throw new IllegalArgumentException("verifier keys are 32 bytes");
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
    return ByteBuffer.allocate(64).put(storedKey).put(serverKey).array();
  }

  static RotateKey decode(BodyReader in) throws ProtocolException {
    byte[] stored = in.bytes(32);
    byte[] server = in.bytes(32);
    in.end();
    return new RotateKey(stored, server);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RotateKey r
        && Arrays.equals(r.storedKey, storedKey)
        && Arrays.equals(r.serverKey, serverKey);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(storedKey);
  }

  @Override
  public String toString() {
    return "RotateKey[]";
  }
}
