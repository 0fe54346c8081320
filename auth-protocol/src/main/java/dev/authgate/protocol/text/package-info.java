/**
 * Text a peer chose, made safe to show a person. One rule, applied wherever such text meets a
 * terminal or a log line: audit tables and {@code --follow}, chat lines, CLI errors that quote the
 * server.
 */
package dev.authgate.protocol.text;
