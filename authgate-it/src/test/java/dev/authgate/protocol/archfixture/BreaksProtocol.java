package dev.authgate.protocol.archfixture;

/**
 * Breaks the house rules on purpose, for ArchitectureRulesFailTest: the protocol holding a socket
 * and knowing both ends.
 */
public final class BreaksProtocol {
  java.net.Socket socket;
  dev.authgate.server.archfixture.BreaksServer server;
  dev.authgate.client.archfixture.BreaksClient client;
}
