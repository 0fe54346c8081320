package dev.authgate.client.download.archfixture;

import dev.authgate.client.chat.archfixture.BreaksChat;

/**
 * Breaks the house rules on purpose, for ArchitectureRulesFailTest: this client feature reaches
 * into another feature and up into the facade.
 */
public final class BreaksDownload {
  BreaksChat next;
  dev.authgate.client.AuthgateClient facade;
}
