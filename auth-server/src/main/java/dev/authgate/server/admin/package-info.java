/**
 * The admin API ({@code serve --admin}): JSON over HTTP for operators' automation and the console,
 * reached with admin tokens ({@code auth-server admin token}); its routes are described by {@code
 * openapi.json} beside this package's classes. It reads and changes the keystore and the audit log
 * the way the {@code keys} and {@code audit} commands do, and never touches a machine's connection
 * except through the keystore (a revoked machine's session ends as the watcher sees the change).
 */
package dev.authgate.server.admin;
