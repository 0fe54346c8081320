/** Prometheus metrics, derived from the audit stream and from the server's own counts. */
package dev.authgate.server.metrics;
