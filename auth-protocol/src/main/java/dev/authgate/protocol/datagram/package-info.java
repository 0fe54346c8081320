/**
 * Verified datagrams (docs/PROTOCOL.md §11): the sealed UDP format bound to a verified TCP session,
 * its keys, and the sliding replay window. No sockets: the server's UDP loop and the client's
 * channel use these.
 */
package dev.authgate.protocol.datagram;
