/**
 * The server's operational log on stderr (the journal): readable lines by default, or one flat JSON
 * object per line ({@code --log-format json}) for log shippers.
 */
package dev.authgate.server.log;
