/**
 * The {@code auth-client} command line: thin picocli commands over {@link
 * dev.authgate.client.connect.Connector}. Failures become one line on stderr and an exit code from
 * {@link dev.authgate.protocol.ExitCode}.
 */
package dev.authgate.client.cli;
