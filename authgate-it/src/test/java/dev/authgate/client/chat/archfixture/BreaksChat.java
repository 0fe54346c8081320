package dev.authgate.client.chat.archfixture;

import dev.authgate.client.upload.archfixture.BreaksUpload;

/**
 * Breaks the house rules on purpose, for ArchitectureRulesFailTest: this client feature reaches
 * into another feature and up into the facade.
 */
public final class BreaksChat {
  BreaksUpload next;
  dev.authgate.client.AuthgateClient facade;
}
