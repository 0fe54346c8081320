package dev.authgate.server.archfixture;

import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.handshake.VerifierLookup;
import dev.authgate.protocol.identity.HostKeySet;
import dev.authgate.server.audit.AuditLog;
import dev.authgate.server.connection.AuthServer;
import dev.authgate.server.connection.ServerConfig;
import dev.authgate.server.connection.SharedState;
import java.io.IOException;
import java.time.Clock;
import java.util.function.Supplier;

/**
 * Breaks the house rules on purpose, for ArchitectureRulesFailTest: a second place that assembles a
 * server instead of using AuthgateServer.
 */
public final class BuildsItsOwnServer {
  static AuthServer start(
      ServerConfig config,
      VerifierLookup keys,
      Supplier<HostKeySet> hostKeys,
      AuditLog audit,
      Clock clock,
      RandomSource random)
      throws IOException {
    return AuthServer.start(config, keys, hostKeys, audit, clock, random, SharedState.inProcess());
  }
}
