package dev.authgate.server.upload.archfixture;

import dev.authgate.server.download.archfixture.BreaksDownload;

/**
 * Breaks the house rules on purpose, for ArchitectureRulesFailTest: this server feature reaches
 * into another feature (a ring of them, so also a package cycle) and into the connection.
 */
public final class BreaksUpload {
  BreaksDownload next;
  dev.authgate.server.connection.ServerConfig config;
}
