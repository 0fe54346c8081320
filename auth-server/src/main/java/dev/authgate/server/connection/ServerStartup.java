package dev.authgate.server.connection;

import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.handshake.VerifierLookup;
import dev.authgate.protocol.identity.HostKeySet;
import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.audit.AuditLog;
import dev.authgate.server.datagram.DatagramEndpoint;
import dev.authgate.server.download.PublishedFiles;
import dev.authgate.server.keystore.KeystoreDirectory;
import dev.authgate.server.keystore.LiveKeystore;
import dev.authgate.server.net.Addresses;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The parts of a starting server that are opened or said once: datagrams, published files, the
 * start's audit line.
 */
final class ServerStartup {
  private ServerStartup() {}

  static void auditStarted(
      ServerConfig config,
      ServerSocket listener,
      Supplier<HostKeySet> hostKeys,
      AuditLog audit,
      DatagramEndpoint datagrams) {
    audit.record(
        AuditEvent.of(AuditEventType.SERVER_STARTED)
            .with("listen", Addresses.format(listener.getLocalSocketAddress()))
            .with("server_id", config.serverId())
            .with("host_key", hostKeys.get().signing().publicKey().fingerprint())
            .with("handshake_timeout_ms", config.handshakeTimeout().toMillis())
            .with("write_timeout_ms", config.sessions().writeTimeout().toMillis())
            .with("max_sessions", config.sessions().maxSessions())
            .with("max_sessions_per_client", config.sessions().maxPerClient())
            .with("udp_port", datagrams == null ? null : datagrams.port()));
  }

  /** What the server publishes; never a file of the keystore, if it is a directory. */
  static PublishedFiles published(ServerConfig config, VerifierLookup keys) {
    return new PublishedFiles(
        config.published(),
        keys instanceof LiveKeystore live
            ? live.enrollments().map(KeystoreDirectory::path)
            : Optional.empty());
  }

  /** The UDP endpoint of datagram channels, or null when the server takes none. */
  static DatagramEndpoint startDatagrams(
      ServerConfig config, ServerSocket listener, RandomSource random) throws IOException {
    if (!config.datagrams().enabled()) {
      return null;
    }
    int udpPort =
        config.datagrams().port() == DatagramLimits.SAME_AS_TCP
            ? listener.getLocalPort()
            : config.datagrams().port();
    return DatagramEndpoint.start(
        config.bindAddress(),
        udpPort,
        config.datagrams().maxChannels(),
        config.datagrams().perSecond(),
        random);
  }
}
