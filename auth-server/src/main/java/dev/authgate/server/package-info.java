/**
 * The authgate server: it accepts TCP connections, runs the handshake against the keystore
 * directory, serves verified sessions and writes an audit record for every connection.
 */
package dev.authgate.server;
