package dev.authgate.server.connection;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.keyfile.EnrollmentToken;
import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.audit.AuditLog;
import java.util.function.Function;

/** The audit lines of a refused handshake. */
final class HandshakeAudit {
  private HandshakeAudit() {}

  /**
   * Audits {@code e}: {@code auth.rejected}, and for a claimed enrollment token also {@code
   * enroll.rejected}.
   *
   * @param event makes an event carrying the connection's fields
   */
  static void refused(
      AuditLog audit, Function<AuditEventType, AuditEvent> event, ProtocolException e) {
    audit.record(
        event
            .apply(AuditEventType.AUTH_REJECTED)
            .with("client_id", e.claimedClientId())
            .with("key_id", e.claimedKeyId())
            .with("reason", e.reason().auditName())
            .with("detail", e.getMessage()));
    String tokenId =
        e.claimedClientId() == null ? null : EnrollmentToken.tokenIdOf(e.claimedClientId());
    if (tokenId != null) {
      // A failed use of an enrollment token, in the enrollment's own words (the auth.rejected
      // above is what penalties, fail2ban and metrics count, like any failed login).
      audit.record(
          event
              .apply(AuditEventType.ENROLL_REJECTED)
              .with("token_id", tokenId)
              .with(
                  "reason",
                  switch (e.reason()) {
                    case UNKNOWN_CLIENT -> "token-unknown";
                    case BAD_PROOF -> "token-wrong";
                    case REVOKED_KEY -> "token-revoked";
                    case EXPIRED_KEY -> "token-expired-or-used";
                    default -> e.reason().auditName();
                  })
              .with("detail", e.getMessage()));
    }
  }
}
