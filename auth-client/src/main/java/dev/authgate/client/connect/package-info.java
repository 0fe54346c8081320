/**
 * Connecting to a server and completing the handshake: the client side of what {@code
 * dev.authgate.server.connection} does on the server, producing a {@link
 * dev.authgate.client.connect.VerifiedConnection}.
 */
package dev.authgate.client.connect;
