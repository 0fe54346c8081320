package dev.authgate.server.download.archfixture;

import dev.authgate.server.datagram.archfixture.BreaksDatagram;

/**
 * Breaks the house rules on purpose, for ArchitectureRulesFailTest: this server feature reaches
 * into another feature (a ring of them, so also a package cycle) and into the connection.
 */
public final class BreaksDownload {
  BreaksDatagram next;
  dev.authgate.server.connection.ServerConfig config;
}
