package dev.authgate.server.admin;

import dev.authgate.protocol.Reason;
import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.audit.AuditLog;
import dev.authgate.server.defence.PenaltyPolicy;
import dev.authgate.server.defence.PenaltyTable;
import dev.authgate.server.keystore.AdminTokens;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * Who may use the admin API: a request names an admin token ({@code Authorization: Bearer …}); a
 * missing, wrong, expired or revoked one is refused (401), audited as {@code admin.refused}, and
 * costs its source the penalty a failed machine login costs, in a table of its own; a source whose
 * penalty is over the threshold is refused (429, with {@code Retry-After}) before its token is
 * looked at. A token's secret is compared in constant time, and never written anywhere.
 * Thread-safe.
 */
final class AdminAccess {
  private final AdminTokens tokens;
  private final PenaltyTable penalties;
  private final AuditLog audit;

  AdminAccess(AdminTokens tokens, PenaltyPolicy policy, AuditLog audit, Clock clock) {
    this.tokens = tokens;
    this.penalties = new PenaltyTable(policy, clock);
    this.audit = audit;
  }

  /** How long {@code source} must wait before its next try, if it is penalised now. */
  Optional<Duration> penalty(InetAddress source) {
    return penalties.refusal(source);
  }

  /**
   * The token {@code authorization} names, checked; a refusal is audited and penalised.
   *
   * @param authorization the {@code Authorization} header, or null
   * @throws ApiException 401 saying why, in words that never repeat the token
   */
  AdminTokens.Check check(String authorization, InetAddress source, String method, String path) {
    String reason;
    AdminTokens.Check check = null;
    if (authorization == null || authorization.isBlank()) {
      reason = "no-token";
    } else if (!authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      reason = "not-bearer";
    } else {
      check = tokens.check(authorization.substring(7));
      if (check.accepted()) {
        return check;
      }
      reason = check.refusal().label();
    }
    penalties.penalize(source, Reason.BAD_PROOF);
    AuditEvent refused =
        AuditEvent.of(AuditEventType.ADMIN_REFUSED)
            .with("source", source.getHostAddress())
            .with("reason", reason)
            .with("method", method)
            .with("path", path.length() > 128 ? path.substring(0, 128) : path);
    if (check != null) {
      refused.with("token_id", check.tokenId());
      if (check.token() != null) {
        refused.with("name", check.token().name());
      }
    }
    audit.record(refused);
    throw new ApiException(
        401,
        reason,
        switch (reason) {
          case "no-token" -> "send an admin token: Authorization: Bearer aga1-...";
          case "not-bearer" -> "the Authorization header must be 'Bearer <admin token>'";
          case "expired-token" -> "this admin token has expired";
          case "revoked-token" -> "this admin token was revoked";
          default -> "this admin token is not valid here";
        });
  }

  /** Audits a request a token made without the scope it needs. */
  void refusedScope(AdminTokens.Check check, InetAddress source, String method, String path) {
    audit.record(
        AuditEvent.of(AuditEventType.ADMIN_REFUSED)
            .with("source", source.getHostAddress())
            .with("reason", "read-only-token")
            .with("method", method)
            .with("path", path.length() > 128 ? path.substring(0, 128) : path)
            .with("token_id", check.token().tokenId())
            .with("name", check.token().name()));
  }
}
