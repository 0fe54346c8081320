/**
 * The server's keystore directory: one verifier file per client, read into immutable snapshots that
 * the handshake looks keys up in, and the operator's provisioning operations (add, list, revoke)
 * that write those files atomically.
 */
package dev.authgate.server.keystore;
