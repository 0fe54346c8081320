package dev.authgate.client.archfixture;

/**
 * Breaks the house rules on purpose, for ArchitectureRulesFailTest: the client knowing the server.
 */
public final class BreaksClient {
  dev.authgate.server.connection.ServerConfig server;
}
