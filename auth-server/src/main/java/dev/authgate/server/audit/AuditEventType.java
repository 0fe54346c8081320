package dev.authgate.server.audit;

import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Every event the audit log knows, with the name it has on the wire ({@code "event"} in each JSON
 * line, syslog's MSGID) and the syslog severity it is forwarded with. docs/OPERATIONS.md, "The
 * audit log", documents each one with its fields; {@code AuditEventTypeTest} holds the two lists
 * equal. Metrics, the connection log, the hooks, the summary and syslog switch on this type, so a
 * renamed event is renamed for all of them at once.
 */
public enum AuditEventType {
  /** The server listens. */
  SERVER_STARTED("server.started", Severity.NOTICE),
  /** The server stopped listening. */
  SERVER_STOPPED("server.stopped", Severity.NOTICE),
  /** A burst of accept failures began (e.g. out of descriptors). */
  SERVER_ACCEPT_FAILED("server.accept-failed", Severity.INFO),
  /** Accepting works again after a burst of failures. */
  SERVER_ACCEPT_RESUMED("server.accept-resumed", Severity.INFO),
  /** The keystore was (re)loaded. */
  KEYS_RELOADED("keys.reloaded", Severity.NOTICE),
  /** An operator added a client. */
  KEYS_ADDED("keys.added", Severity.INFO),
  /** An operator rotated a client's key. */
  KEYS_ROTATED("keys.rotated", Severity.INFO),
  /** A verified client rotated its own key (asked by its rotation policy). */
  KEYS_SELF_ROTATED("keys.self_rotated", Severity.INFO),
  /** A client's own rotation was not stored. */
  KEYS_SELF_ROTATION_REFUSED("keys.self_rotation_refused", Severity.WARNING),
  /** An operator lifted a client id's lock. */
  KEYS_UNLOCKED("keys.unlocked", Severity.NOTICE),
  /** An operator revoked a client's keys. */
  KEYS_REVOKED("keys.revoked", Severity.INFO),
  /** An operator reinstated a revoked key. */
  KEYS_REINSTATED("keys.reinstated", Severity.NOTICE),
  /** An operator changed a client's permissions. */
  KEYS_PERMISSIONS("keys.permissions", Severity.NOTICE),
  /** The server's host key was made. */
  KEYS_HOST_KEY_CREATED("keys.host_key_created", Severity.INFO),
  /** A next host key was made: the first step of a host-key rotation. */
  KEYS_HOST_KEY_ROTATED("keys.host_key_rotated", Severity.INFO),
  /** The old host key was retired: the last step of a host-key rotation. */
  KEYS_HOST_KEY_RETIRED("keys.host_key_retired", Severity.INFO),
  /** A machine proved its key. */
  AUTH_ACCEPTED("auth.accepted", Severity.INFO),
  /**
   * A key replaced by a self-rotation was used after its successor: two holders of one credential.
   * The client id is locked.
   */
  AUTH_CLONE_SUSPECTED("auth.clone-suspected", Severity.WARNING),
  /** A connection was refused (one line, or a count of refusals of one source). */
  AUTH_REJECTED("auth.rejected", Severity.WARNING),
  /** A verified session ended. */
  SESSION_CLOSED("session.closed", Severity.INFO),
  /** A member joined a chat room. */
  CHAT_JOINED("chat.joined", Severity.INFO),
  /** A member left a chat room (or was made to). */
  CHAT_LEFT("chat.left", Severity.INFO),
  /** A member asked for a room it may not join. */
  CHAT_REFUSED("chat.refused", Severity.WARNING),
  /** A file was stored. */
  UPLOAD_STORED("upload.stored", Severity.INFO),
  /** A file was refused, or its upload interrupted. */
  UPLOAD_FAILED("upload.failed", Severity.WARNING),
  /** The {@code --on-upload} command ran (or could not). */
  UPLOAD_HOOK("upload.hook", Severity.WARNING),
  /** The {@code --on-upload-url} webhook was called (or could not be). */
  UPLOAD_WEBHOOK("upload.webhook", Severity.WARNING),
  /** A published file was sent. */
  DOWNLOAD_SENT("download.sent", Severity.INFO),
  /** A published file was not sent because the client has it. */
  DOWNLOAD_SKIPPED("download.skipped", Severity.INFO),
  /** A download was refused or failed. */
  DOWNLOAD_FAILED("download.failed", Severity.INFO),
  /** A verified session opened its datagram channel. */
  DATAGRAM_OPENED("datagram.opened", Severity.INFO),
  /** A datagram channel closed, with its counts. */
  DATAGRAM_CLOSED("datagram.closed", Severity.INFO),
  /** An operator made an enrollment token. */
  ENROLL_TOKEN_CREATED("enroll.token_created", Severity.INFO),
  /** An operator revoked an enrollment token. */
  ENROLL_TOKEN_REVOKED("enroll.token_revoked", Severity.INFO),
  /** A machine enrolled with a token. */
  ENROLL_ACCEPTED("enroll.accepted", Severity.INFO),
  /** An enrollment was refused. */
  ENROLL_REJECTED("enroll.rejected", Severity.INFO),
  /** An operator approved a pending machine. */
  ENROLL_APPROVED("enroll.approved", Severity.INFO),
  /** An operator denied a pending machine. */
  ENROLL_DENIED("enroll.denied", Severity.INFO),
  /** An operator made an admin API token. */
  ADMIN_TOKEN_CREATED("admin.token_created", Severity.NOTICE),
  /** An operator revoked an admin API token. */
  ADMIN_TOKEN_REVOKED("admin.token_revoked", Severity.NOTICE),
  /** A request to the admin API was refused: no token, a wrong one, or too little scope. */
  ADMIN_REFUSED("admin.refused", Severity.WARNING),
  /** An operator closed a verified session through the admin API. */
  ADMIN_SESSION_CLOSED("admin.session_closed", Severity.NOTICE),
  /** An operator logged in to the console with an admin token. */
  ADMIN_LOGIN("admin.login", Severity.NOTICE),
  /** The admin API listens. */
  ADMIN_STARTED("admin.started", Severity.NOTICE),
  /** The audit log could not be written for a while; the first line after says how much. */
  AUDIT_LOST("audit.lost", Severity.WARNING),
  /** The syslog receiver missed events; written when sending works again. */
  AUDIT_FORWARD_LOST("audit.forward_lost", Severity.WARNING),
  /** Another server on the same Redis uses this server's id. */
  CLUSTER_DUPLICATE_SERVER_ID("cluster.duplicate_server_id", Severity.INFO),
  /** The shared state was lost: the server runs on its own tables. */
  CLUSTER_DEGRADED("cluster.degraded", Severity.INFO),
  /** The shared state was reached (again) and re-synced. */
  CLUSTER_CONNECTED("cluster.connected", Severity.INFO);

  /** Syslog severities (RFC 5424 §6.2.1) the events are forwarded with. */
  public enum Severity {
    /** Refusals and failures. */
    WARNING(4),
    /** Start, stop and keystore changes the server makes or sees. */
    NOTICE(5),
    /** The rest. */
    INFO(6);

    private final int code;

    Severity(int code) {
      this.code = code;
    }

    /** The RFC 5424 severity number. */
    public int code() {
      return code;
    }
  }

  private static final Map<String, AuditEventType> BY_WIRE_NAME =
      Stream.of(values())
          .collect(Collectors.toUnmodifiableMap(t -> t.wireName, Function.identity()));

  private final String wireName;
  private final Severity severity;

  AuditEventType(String wireName, Severity severity) {
    this.wireName = wireName;
    this.severity = severity;
  }

  /** The name in the audit line's {@code "event"} field. */
  public String wireName() {
    return wireName;
  }

  /** The syslog severity this event is forwarded with. */
  public Severity severity() {
    return severity;
  }

  /**
   * The type named {@code wireName} in an audit line, or empty for a name this server does not
   * write.
   */
  public static Optional<AuditEventType> fromWireName(String wireName) {
    return Optional.ofNullable(BY_WIRE_NAME.get(wireName));
  }

  @Override
  public String toString() {
    return wireName;
  }
}
