/**
 * The server's UDP side of verified datagrams: one socket, one receiving thread, a table of the
 * channels that verified TCP sessions opened. A datagram is looked up by its channel id before
 * anything else, charged against its channel's rate before any crypto, checked against the replay
 * window, opened, and only then acted on. Nothing is ever sent in answer to a datagram.
 */
package dev.authgate.server.datagram;
