package dev.authgate.server.archfixture;

/**
 * Breaks the house rules on purpose, for ArchitectureRulesFailTest: the server knowing the client.
 */
public final class BreaksServer {
  dev.authgate.client.AuthgateClient client;
}
