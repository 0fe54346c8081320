package dev.authgate.server.connection;

import java.time.Instant;

/**
 * A verified session as the admin API lists it: a snapshot, stale as soon as it is taken.
 *
 * @param id the connection's id (as {@code conn} in the audit log)
 * @param clientId the verified client
 * @param keyId the key it proved
 * @param kind {@code ping}, {@code chat}, {@code upload} or {@code download}: what it has done so
 *     far
 * @param remote the client's {@code ip:port}
 * @param since when its handshake was accepted
 */
public record LiveSession(
    String id, String clientId, String keyId, String kind, String remote, Instant since) {}
