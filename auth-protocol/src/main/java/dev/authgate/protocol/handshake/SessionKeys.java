package dev.authgate.protocol.handshake;

import dev.authgate.protocol.crypto.DirectionKeys;

/**
 * The per-direction keys of an established session.
 *
 * @param clientToServer keys for frames the client sends
 * @param serverToClient keys for frames the server sends
 */
public record SessionKeys(DirectionKeys clientToServer, DirectionKeys serverToClient) {}
