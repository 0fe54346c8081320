package dev.authgate.server.cli.keyscommand;

import dev.authgate.server.keystore.HostKeys;
import java.nio.file.Path;

/**
 * The host key a {@code keys} command pins, and where it came from.
 *
 * @param fingerprint its fingerprint
 * @param from the key file, the systemd credential, or {@code KEYS/host.pub}
 * @param created whether this command made it
 */
record HostKeyInfo(String fingerprint, Path from, boolean created) {
  static HostKeyInfo of(HostKeys.Loaded loaded) {
    return new HostKeyInfo(loaded.fingerprint(), loaded.from(), loaded.created());
  }
}
