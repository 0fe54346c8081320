package dev.authgate.server.cli.keyscommand;

import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.keyfile.KeyFileException;
import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.keystore.FileOwnership;
import dev.authgate.server.keystore.HostKeys;
import dev.authgate.server.keystore.KeystoreDirectory;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import picocli.CommandLine.Option;

/** Options every keys subcommand takes. */
final class KeystoreOption {
  @Option(
      names = "--keys",
      paramLabel = "DIR",
      defaultValue = "keys",
      description = "Keystore directory (default: ${DEFAULT-VALUE}).")
  Path dir;

  @Option(names = "--verbose", description = "Show stack traces on errors.")
  boolean verbose;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description =
          "The server's properties file: its keys= and audit-log= become this command's"
              + " defaults (default: $AUTHGATE_CONFIG, else /etc/authgate/authgate.properties"
              + " when it exists).")
  Path config;

  KeystoreDirectory open() throws KeyFileException {
    FileOwnership.refuseRootAtAnotherUsersKeystore(dir);
    return new KeystoreDirectory(dir, Clock.systemUTC(), RandomSource.secure());
  }

  HostKeys hostKeys() throws KeyFileException {
    FileOwnership.refuseRootAtAnotherUsersKeystore(dir);
    return new HostKeys(dir, System.getenv(), Clock.systemUTC(), RandomSource.secure());
  }

  /**
   * Makes the host key if there is none (audited first, as every keystore change), and returns it:
   * the first {@code keys init} or {@code keys add} on a server gives it its identity.
   */
  HostKeyInfo ensureHostKey(AuditLogOption auditLog) throws IOException {
    HostKeys keys = hostKeys();
    if (java.nio.file.Files.exists(keys.location(), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return HostKeyInfo.of(keys.load());
    }
    var published = keys.loadPublic();
    if (published.isPresent()) {
      // The service's keys are systemd credentials this shell does not have: pin what serve
      // wrote down, never make a second identity here.
      return new HostKeyInfo(published.get().get(0), dir.resolve(HostKeys.PUBLIC_FILE_NAME), false);
    }
    KeystoreDirectory directory = open();
    directory.prepare();
    return HostKeyInfo.of(
        auditLog.audited(
            directory,
            () ->
                AuditEvent.of(AuditEventType.KEYS_HOST_KEY_CREATED)
                    .with("file", keys.location().toString()),
            keys::loadOrCreate));
  }
}
