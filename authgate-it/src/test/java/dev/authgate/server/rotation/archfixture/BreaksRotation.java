package dev.authgate.server.rotation.archfixture;

import dev.authgate.server.chat.archfixture.BreaksChat;

/**
 * Breaks the house rules on purpose, for ArchitectureRulesFailTest: this server feature reaches
 * into another feature and into the connection.
 */
public final class BreaksRotation {
  BreaksChat chat;
  dev.authgate.server.connection.ServerConfig config;
}
