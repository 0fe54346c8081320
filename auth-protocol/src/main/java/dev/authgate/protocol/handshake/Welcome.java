package dev.authgate.protocol.handshake;

import java.util.Arrays;

/**
 * WELCOME, server to client: the sealed {@code server_signature[32] | server_id_len u8 |
 * server_id}, under the server-to-client handshake key.
 *
 * @param sealed ciphertext and tag
 */
public record Welcome(byte[] sealed) implements HandshakeMessage {
  @Override
  public boolean equals(Object o) {
    return o instanceof Welcome w && Arrays.equals(w.sealed, sealed);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(sealed);
  }

  @Override
  public String toString() {
    return "Welcome[" + sealed.length + " bytes]";
  }
}
