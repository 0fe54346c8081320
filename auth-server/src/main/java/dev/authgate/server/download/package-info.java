/**
 * Published files: what the operator drops under {@code published/<client-id>/} and {@code
 * published/_all/} for machines to list and fetch, with their SHA-256 cached by file identity.
 */
package dev.authgate.server.download;
