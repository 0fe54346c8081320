/**
 * {@code auth-client bench}: load tools that drive a server from many connections, sources and
 * sessions at once (handshakes, chat fan-out, uploads, idle sessions and the server's memory), for
 * docs/PERFORMANCE.md. They use the client's public parts only, like any other program would.
 */
package dev.authgate.client.bench;
