/**
 * The audit log: one JSON object per line, appended and flushed per event, never interleaved.
 * Operators and tools such as fail2ban read it; its field names are a contract
 * (docs/OPERATIONS.md).
 */
package dev.authgate.server.audit;
