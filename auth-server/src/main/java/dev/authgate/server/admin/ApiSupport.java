package dev.authgate.server.admin;

import dev.authgate.protocol.keyfile.AdminTokenFile;
import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditLog;
import dev.authgate.server.audit.AuditTimes;
import dev.authgate.server.keystore.KeystoreDirectory;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;

/**
 * What the route classes share: the parameter checks, the route and scope checks, and the one way a
 * change is made (written to the audit log first, with the admin token's name, holding the
 * keystore's lock, as the {@code keys} commands make theirs).
 */
final class ApiSupport {
  final KeystoreDirectory keystore;
  final AuditLog audit;
  final Clock clock;

  ApiSupport(KeystoreDirectory keystore, AuditLog audit, Clock clock) {
    this.keystore = keystore;
    this.audit = audit;
    this.clock = clock;
  }

  /** A change, written to the audit log first (with the admin token's name) holding the lock. */
  <T> T audited(ApiCall call, AuditEvent intent, KeystoreDirectory.Change<T> change)
      throws IOException {
    return keystore.whileLocked(
        () -> {
          AuditEvent event = by(call, intent);
          audit.record(event);
          try {
            return change.apply();
          } catch (IOException | RuntimeException e) {
            audit.record(
                by(call, AuditEvent.of(event.type()))
                    .with("ok", false)
                    .with("error", e.getMessage())
                    .with("client_id", event.fields().get("client_id"))
                    .with("token_id", event.fields().get("token_id")));
            throw e;
          }
        });
  }

  /** Records {@code event} with the admin token's name (a change outside the keystore). */
  void record(ApiCall call, AuditEvent event) {
    audit.record(by(call, event));
  }

  private static AuditEvent by(ApiCall call, AuditEvent event) {
    return event
        .with("admin", call.token().name())
        .with("admin_token_id", call.token().tokenId())
        .with("source", call.source());
  }

  /** A time parameter: a duration back from now, a date or an instant. */
  Instant time(String text, String what) {
    try {
      return AuditTimes.parse(text, clock, what);
    } catch (IllegalArgumentException e) {
      throw new ApiException(400, "bad-request", e.getMessage());
    }
  }

  /** A whole-number parameter from {@code least} to {@code most}, or {@code fallback} if absent. */
  static int count(String text, String what, int fallback, int least, int most) {
    if (text == null) {
      return fallback;
    }
    try {
      int n = Integer.parseInt(text);
      if (n >= least && n <= most) {
        return n;
      }
    } catch (NumberFormatException e) {
      // said below
    }
    throw new ApiException(
        400, "bad-request", what + " must be a whole number from " + least + " to " + most);
  }

  /** Refuses a change asked for with a read token. */
  static void requireWrite(ApiCall call) {
    if (call.token().scope() != AdminTokenFile.Scope.WRITE) {
      throw new ApiException(403, "read-only-token", "this token may only read (--scope read)");
    }
  }

  /** Refuses a route that does not exist (404) or a method it does not take (405). */
  static void requireRoute(ApiCall call, boolean exists, String method) {
    if (!exists) {
      throw notFound(call);
    }
    if (!call.method().equals(method)) {
      throw new ApiException(405, "method-not-allowed", call.path() + " takes " + method + " only");
    }
  }

  static ApiException notFound(ApiCall call) {
    return new ApiException(404, "not-found", "no route " + Http.cut(call.path()));
  }

  /** A text field of the request's body, or null. */
  static String text(ApiCall call, String field) {
    com.fasterxml.jackson.databind.JsonNode value = call.body().get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isTextual() && !value.isNumber()) {
      throw new ApiException(400, "bad-request", field + " must be a string");
    }
    return value.asText();
  }
}
