package dev.authgate.server.audit;

import java.io.Closeable;

/** Where {@code serve} keeps the audit log: a JSON Lines file, or stdout for journald. */
public interface AuditFile extends AuditLog, Closeable {
  /** Events that could not be written since it was opened. */
  long lostEvents();
}
