package dev.authgate.protocol.keyfile;

import dev.authgate.protocol.crypto.ScramKeys;
import java.util.Objects;

/**
 * Who a client is: its id, the key id and the keys derived from that key's secret.
 *
 * @param clientId the client id
 * @param keyId the key id
 * @param keys the SCRAM keys from the secret
 */
public record ClientIdentity(String clientId, String keyId, ScramKeys keys) {
  /** Validates non-null parts. */
  public ClientIdentity {
    Objects.requireNonNull(clientId, "clientId");
    Objects.requireNonNull(keyId, "keyId");
    Objects.requireNonNull(keys, "keys");
  }
}
