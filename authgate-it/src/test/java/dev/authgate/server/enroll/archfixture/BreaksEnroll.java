package dev.authgate.server.enroll.archfixture;

import dev.authgate.server.chat.archfixture.BreaksChat;

/**
 * Breaks the house rules on purpose, for ArchitectureRulesFailTest: this server feature reaches
 * into another feature and into the connection.
 */
public final class BreaksEnroll {
  BreaksChat chat;
  dev.authgate.server.connection.ServerConfig config;
}
