package dev.authgate.server.chat.archfixture;

import dev.authgate.server.upload.archfixture.BreaksUpload;

/**
 * Breaks the house rules on purpose, for ArchitectureRulesFailTest: this server feature reaches
 * into another feature (a ring of them, so also a package cycle) and into the connection.
 */
public final class BreaksChat {
  BreaksUpload next;
  dev.authgate.server.connection.ServerConfig config;
}
