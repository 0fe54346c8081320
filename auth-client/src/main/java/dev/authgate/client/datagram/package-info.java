/**
 * The client side of verified datagrams: a channel opened over a verified session, on which lines
 * go as sealed UDP datagrams (PROTOCOL.md §11).
 */
package dev.authgate.client.datagram;
