package dev.authgate.server.cli.keyscommand;

import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.audit.JsonLinesAuditLog;
import dev.authgate.server.keystore.KeystoreDirectory;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import picocli.CommandLine.Option;

/**
 * {@code --audit-log} of the commands that change the keystore (the server's log: from {@code
 * --config}'s {@code audit-log=}, {@code AUTHGATE_AUDIT_LOG}, or {@code logs/audit.jsonl}). The
 * operator's action is written before it is made, holding the keystore's lock: a change whose line
 * cannot be written does not happen, and the command says so and exits 1.
 */
final class AuditLogOption {
  @Option(
      names = "--audit-log",
      paramLabel = "FILE",
      defaultValue = "logs/audit.jsonl",
      description = "The server's audit log, appended to (default: ${DEFAULT-VALUE}).")
  Path file;

  JsonLinesAuditLog open() throws IOException {
    return JsonLinesAuditLog.open(file, Clock.systemUTC());
  }

  /** A change to the keystore, and its result. */
  interface Change<T> {
    T apply() throws IOException;
  }

  /** The event that says what is about to change; may refuse (nothing written then). */
  interface Intent {
    AuditEvent make() throws IOException;
  }

  /**
   * Under the keystore's lock: records {@code intent} (with the operator's name and uid), then
   * applies {@code change}. If the change then fails, that is recorded too (best effort) and the
   * failure is thrown.
   *
   * @param intent made under the lock, so what it says (a next key id) is exact
   * @throws IOException if the line cannot be written (nothing was changed) or the change fails
   */
  <T> T audited(KeystoreDirectory keys, Intent intent, Change<T> change) throws IOException {
    keys.checkAccess(); // "not yours: run this as …" says more than a log it cannot open
    try (JsonLinesAuditLog audit = open()) {
      return keys.whileLocked(
          () -> {
            AuditEvent event = operator(intent.make());
            try {
              audit.recordOrThrow(event);
            } catch (IOException e) {
              throw new IOException(
                  e.getMessage() + "; nothing was changed (every change is audited first)", e);
            }
            try {
              return change.apply();
            } catch (IOException | RuntimeException e) {
              audit.record(
                  operator(AuditEvent.of(event.type()))
                      .with("ok", false)
                      .with("error", e.getMessage())
                      .with("client_id", event.fields().get("client_id"))
                      .with("token_id", event.fields().get("token_id")));
              throw e;
            }
          });
    }
  }

  /**
   * {@link #audited} for a change to one client that must exist: {@code type} names it, and a
   * client that does not exist is refused before anything is written.
   */
  <T> T auditedFor(KeystoreDirectory keys, String clientId, AuditEventType type, Change<T> change)
      throws IOException {
    return audited(
        keys,
        () -> {
          keys.requireClient(clientId);
          return AuditEvent.of(type).with("client_id", clientId);
        },
        change);
  }

  private static AuditEvent operator(AuditEvent event) {
    return event
        .with("operator", System.getProperty("user.name"))
        .with("operator_uid", new com.sun.security.auth.module.UnixSystem().getUid());
  }
}
