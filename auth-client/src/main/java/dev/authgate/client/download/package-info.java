/**
 * Listing and fetching published files: streamed to a hidden staging file, SHA-256 verified against
 * the server's, forced to disk and renamed into place, resumed from a staging file the server
 * confirms is a prefix of its file.
 */
package dev.authgate.client.download;
