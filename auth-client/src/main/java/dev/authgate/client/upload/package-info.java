/**
 * Uploading files over a verified connection: streamed in bounded chunks, hashed once while read,
 * resumable, with progress reported to a listener (a progress bar on a terminal).
 */
package dev.authgate.client.upload;
