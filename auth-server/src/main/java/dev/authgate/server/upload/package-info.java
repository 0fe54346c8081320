/**
 * Verified file uploads: each client's files land in {@code <uploads>/<client-id>/<name>}, written
 * to a staging file through a directory handle (so a directory swapped for a symlink cannot
 * redirect a write), SHA-256 checked end to end, forced to disk and atomically renamed into place.
 */
package dev.authgate.server.upload;
