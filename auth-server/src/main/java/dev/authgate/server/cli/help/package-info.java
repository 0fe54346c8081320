/**
 * What every {@code auth-server} command's help and man page share (its exit statuses), below the
 * commands so that {@code cli} and {@code cli.keyscommand} both use it without a cycle.
 */
package dev.authgate.server.cli.help;
