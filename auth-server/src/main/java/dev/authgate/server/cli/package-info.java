/**
 * The {@code auth-server} command line: a thin picocli layer that parses options into immutable
 * configuration and calls the library. Operator mistakes become one clear line on stderr and an
 * exit code from {@link dev.authgate.protocol.ExitCode}; a stack trace only with {@code --verbose}.
 */
package dev.authgate.server.cli;
