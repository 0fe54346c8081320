package dev.authgate.protocol.handshake;

import java.util.Arrays;

/**
 * WELCOME, server to client: the sealed {@code server_signature[32] | server_id_len u8 | server_id
 * | count u8 | count × (kind u8 | key[32])}, under the server-to-client handshake key. The
 * announcements tell a verified client of host keys to pin ({@link #NEXT_KEY}: the public key) and
 * to drop ({@link #RETIRED_KEY}: SHA-256 of the public key).
 *
 * @param sealed ciphertext and tag
 */
public record Welcome(byte[] sealed) implements HandshakeMessage {
  /** Announcement kind: a host key the server will sign with after a rotation. */
  public static final byte NEXT_KEY = 1;

  /** Announcement kind: the SHA-256 of a retired host key. */
  public static final byte RETIRED_KEY = 2;

  /**
   * Announcement kind: rotate your key in this session (docs/PROTOCOL.md §5.7). The 32 bytes are
   * {@code refuse_after u64 | zero[24]}: when the server stops taking the current key (Unix
   * seconds; 0 for never).
   */
  public static final byte ROTATE_KEY = 3;

  /** Bytes of one announcement. */
  public static final int ANNOUNCEMENT_BYTES = 33;

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
