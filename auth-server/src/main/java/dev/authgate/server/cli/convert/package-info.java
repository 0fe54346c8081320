/**
 * picocli converters every server command shares (durations such as {@code 30d}, sizes such as
 * {@code 10MiB}): one place, below the commands that use them.
 */
package dev.authgate.server.cli.convert;
