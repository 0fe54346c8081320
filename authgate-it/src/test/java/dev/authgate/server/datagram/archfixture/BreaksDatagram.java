package dev.authgate.server.datagram.archfixture;

import dev.authgate.server.chat.archfixture.BreaksChat;

/**
 * Breaks the house rules on purpose, for ArchitectureRulesFailTest: this server feature reaches
 * into another feature (a ring of them, so also a package cycle) and into the connection.
 */
public final class BreaksDatagram {
  BreaksChat next;
  dev.authgate.server.connection.ServerConfig config;
}
