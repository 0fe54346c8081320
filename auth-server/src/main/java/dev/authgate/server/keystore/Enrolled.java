package dev.authgate.server.keystore;

import dev.authgate.protocol.keyfile.ClientKeys;

/**
 * The result of an enrollment.
 *
 * @param clientId the id the machine got
 * @param keyId its key id
 * @param pending whether it waits for {@code keys approve}
 * @param fingerprint its key's fingerprint
 * @param keys what was written to its file
 */
public record Enrolled(
    String clientId, String keyId, boolean pending, String fingerprint, ClientKeys keys) {}
