/**
 * What every client command shares, in one place below the commands: the server and credential
 * options ({@link dev.authgate.client.cli.common.ServerOptions}), the duration and size converters,
 * and how a failure becomes an exit status and a line ({@link
 * dev.authgate.client.cli.common.Failures}).
 */
package dev.authgate.client.cli.common;
