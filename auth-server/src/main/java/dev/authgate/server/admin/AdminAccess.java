package dev.authgate.server.admin;

import dev.authgate.protocol.Reason;
import dev.authgate.protocol.keyfile.AdminTokenFile;
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
 * Who may use the admin API. A missing, wrong, expired or revoked token (or console session) is
 * refused (401), audited as {@code admin.refused}, and costs its source the penalty a failed
 * machine login costs, in a table of its own; a source whose penalty is over the threshold is
 * refused (429) before its token is looked at. A request a token may not make (a change with a read
 * token; a change from another site or without the console's CSRF token) is refused (403) and
 * audited. A token's secret is compared in constant time and never written anywhere. Thread-safe.
 */
final class AdminAccess {
  private final AdminTokens tokens;
  private final PenaltyTable penalties;
  private final AuditLog audit;

  /** The refusals that cost their source a penalty: guesses at a token. */
  static final java.util.Set<String> GUESSES = java.util.Set.of("unknown-token", "bad-secret");

  /**
   * The most {@code admin.refused} lines written a minute, from all sources together (on loopback
   * every 127.x address is a source of its own): past it they are counted, and the next line
   * written says how many were left out ({@code suppressed}).
   */
  static final int REFUSALS_PER_MINUTE = 100;

  private long window = System.nanoTime();
  private int written;
  private long suppressed;

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
   * The token {@code authorization} names, checked.
   *
   * @param authorization the {@code Authorization} header, or null
   * @throws ApiException 401 saying why, in words that never repeat the token
   */
  AdminTokens.Check check(String authorization, InetAddress source, String method, String path) {
    if (authorization == null || authorization.isBlank()) {
      throw refuse(source, "no-token", method, path, null, null);
    }
    if (!authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw refuse(source, "not-bearer", method, path, null, null);
    }
    AdminTokens.Check check = tokens.check(authorization.substring(7));
    if (!check.accepted()) {
      throw refuse(source, check.refusal().label(), method, path, check.token(), check.tokenId());
    }
    return check;
  }

  /** The token of a console session as its file says now. */
  AdminTokens.Check current(String tokenId) {
    return tokens.current(tokenId);
  }

  /**
   * Audits a refused login ({@code admin.refused}), penalises its source, and returns the 401 to
   * throw.
   *
   * @param token the token it named, if a real one, else null
   * @param tokenId the id it named (not a secret), or null
   */
  ApiException refuse(
      InetAddress source,
      String reason,
      String method,
      String path,
      AdminTokenFile token,
      String tokenId) {
    if (GUESSES.contains(reason)) {
      // A token that is not one, or not this one: someone may be guessing. A missing token, a
      // malformed one, a stale console session, an expired or revoked token guess nothing, and
      // penalising them would let any page or local user lock the operator out.
      penalties.penalize(source, Reason.BAD_PROOF);
    }
    record(source, reason, method, path, token, tokenId);
    return new ApiException(
        401,
        reason,
        switch (reason) {
          case "no-token" -> "send an admin token: Authorization: Bearer aga1-...";
          case "not-bearer" -> "the Authorization header must be 'Bearer <admin token>'";
          case "expired-token" -> "this admin token has expired";
          case "revoked-token" -> "this admin token was revoked";
          case "bad-session" -> "this console session is not valid (log in again)";
          case "csrf" -> "the console's CSRF token is missing or wrong (reload the page)";
          default -> "this admin token is not valid here";
        });
  }

  /** Audits a request its caller may not make and returns the 403 to throw. */
  ApiException forbid(
      InetAddress source, String reason, String method, String path, AdminTokenFile token) {
    record(source, reason, method, path, token, null);
    return new ApiException(
        403,
        reason,
        switch (reason) {
          case "read-only-token" -> "this token may only read (--scope read)";
          default -> "a change must come from the console's own page";
        });
  }

  /** Audits a console login. */
  void loggedIn(AdminTokenFile token, InetAddress source) {
    audit.record(
        AuditEvent.of(AuditEventType.ADMIN_LOGIN)
            .with("source", source.getHostAddress())
            .with("token_id", token.tokenId())
            .with("name", token.name()));
  }

  private void record(
      InetAddress source,
      String reason,
      String method,
      String path,
      AdminTokenFile token,
      String tokenId) {
    AuditEvent refused =
        AuditEvent.of(AuditEventType.ADMIN_REFUSED)
            .with("source", source.getHostAddress())
            .with("reason", reason)
            .with("method", method)
            .with("path", Http.cut(path));
    if (token != null) {
      refused.with("token_id", token.tokenId()).with("name", token.name());
    } else if (tokenId != null) {
      refused.with("token_id", tokenId);
    }
    long left;
    synchronized (this) {
      long now = System.nanoTime();
      if (now - window >= 60_000_000_000L) {
        window = now;
        written = 0;
      }
      if (written >= REFUSALS_PER_MINUTE) {
        suppressed++;
        return;
      }
      written++;
      left = suppressed;
      suppressed = 0;
    }
    if (left > 0) {
      refused.with("suppressed", left);
    }
    audit.record(refused);
  }
}
