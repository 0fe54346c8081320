package dev.authgate.server.hooks;

import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.audit.AuditLog;

/** A stored file and the snapshot its hooks read. */
record Snapshotted(StoredFile stored, HookSnapshot snapshot) {
  /**
   * False (and the hook audited as {@code replaced}) if the snapshot is not the announced bytes.
   */
  boolean verified(AuditLog audit, AuditEventType event) {
    String why =
        !snapshot.begin()
            ? "the name was stored again before this hook started; the hook of the newer"
                + " upload has its bytes"
            : !snapshot.verify()
                ? "the name held other bytes than the SHA-256 announced by the time its"
                    + " snapshot was taken; the hook of the upload that replaced it has those"
                : null;
    if (why != null) {
      audit.record(stored.event(event).with("outcome", "replaced").with("detail", why));
    }
    return why == null;
  }
}
