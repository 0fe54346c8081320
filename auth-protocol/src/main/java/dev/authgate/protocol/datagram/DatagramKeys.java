package dev.authgate.protocol.datagram;

import dev.authgate.protocol.crypto.DirectionKeys;
import dev.authgate.protocol.crypto.Hkdf;

/**
 * The keys of one datagram channel, one set per direction, derived from the session's datagram
 * secret and the channel id (PROTOCOL.md §11.2):
 *
 * <pre>
 * channel_prk = HKDF-Extract(salt = channel_id, ikm = dg_secret)
 * dg_c2s_key  = HKDF-Expand(channel_prk, "authgate/1 dg c2s key", 32), dg_c2s_iv likewise (12)
 * dg_s2c_key  = HKDF-Expand(channel_prk, "authgate/1 dg s2c key", 32), dg_s2c_iv likewise (12)
 * </pre>
 *
 * A new channel of the same session has a new id, so new keys: sequence numbers restart at 0
 * without a nonce ever repeating under one key. Immutable; {@link #toString()} hides the keys.
 *
 * @param clientToServer keys of the datagrams the client sends
 * @param serverToClient keys of the datagrams the server sends
 */
public record DatagramKeys(DirectionKeys clientToServer, DirectionKeys serverToClient) {
  /** Derives a channel's keys. */
  public static DatagramKeys derive(byte[] datagramSecret, byte[] channelId) {
    byte[] prk = Hkdf.extract(channelId, datagramSecret);
    return new DatagramKeys(
        DirectionKeys.expand(prk, "authgate/1 dg c2s"),
        DirectionKeys.expand(prk, "authgate/1 dg s2c"));
  }

  @Override
  public String toString() {
    return "DatagramKeys[hidden]";
  }
}
