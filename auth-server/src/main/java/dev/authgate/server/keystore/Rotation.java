package dev.authgate.server.keystore;

import dev.authgate.protocol.keyfile.Credential;
import java.time.Instant;

/**
 * The result of a rotation.
 *
 * @param credential the new key's credential
 * @param oldKeysUntil when the previous keys stop working
 * @param previousFile the verifier file as it was, for {@link KeyRotations#undo}
 */
public record Rotation(Credential credential, Instant oldKeysUntil, String previousFile) {
  @Override
  public String toString() {
    return "Rotation[" + credential + ", old keys until " + oldKeysUntil + "]";
  }
}
