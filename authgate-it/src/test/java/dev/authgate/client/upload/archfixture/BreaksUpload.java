package dev.authgate.client.upload.archfixture;

import dev.authgate.client.download.archfixture.BreaksDownload;

/**
 * Breaks the house rules on purpose, for ArchitectureRulesFailTest: this client feature reaches
 * into another feature and up into the facade.
 */
public final class BreaksUpload {
  BreaksDownload next;
  dev.authgate.client.AuthgateClient facade;
}
