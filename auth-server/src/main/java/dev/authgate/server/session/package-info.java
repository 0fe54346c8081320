/**
 * The one interface between the connection (accept, admission, handshake, routing) and the
 * features: a verified session as a feature's handler sees it.
 */
package dev.authgate.server.session;
