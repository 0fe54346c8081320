package dev.authgate.protocol.handshake;

import dev.authgate.protocol.crypto.DirectionKeys;

/**
 * The per-direction keys of an established session, and the secret its datagram channels' keys come
 * from (PROTOCOL.md §11.2). {@link #toString()} hides them.
 *
 * @param clientToServer keys for frames the client sends
 * @param serverToClient keys for frames the server sends
 * @param datagramSecret {@code dg_secret}, 32 bytes, or null where datagrams are not used
 */
public record SessionKeys(
    DirectionKeys clientToServer, DirectionKeys serverToClient, byte[] datagramSecret) {
  /** Keys with no datagram secret. */
  public SessionKeys(DirectionKeys clientToServer, DirectionKeys serverToClient) {
    this(clientToServer, serverToClient, null);
  }

  /** The datagram secret; a copy. */
  @Override
  public byte[] datagramSecret() {
    if (datagramSecret == null) {
      throw new IllegalStateException("these session keys carry no datagram secret");
    }
    return datagramSecret.clone();
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof SessionKeys o
        && clientToServer.equals(o.clientToServer)
        && serverToClient.equals(o.serverToClient)
        && java.util.Arrays.equals(datagramSecret, o.datagramSecret);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * clientToServer.hashCode() + serverToClient.hashCode())
        + java.util.Arrays.hashCode(datagramSecret);
  }

  @Override
  public String toString() {
    return "SessionKeys[hidden]";
  }
}
