/**
 * The server's own identity: an Ed25519 host key (RFC 8032) that signs what the server says, its
 * {@code SHA256:} fingerprint as operators compare it (the OpenSSH way), and verification of a
 * signature against a pinned key. Pure functions over bytes, like the rest of the protocol module:
 * no files, no sockets.
 */
package dev.authgate.protocol.identity;
