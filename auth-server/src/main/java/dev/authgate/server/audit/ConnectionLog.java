package dev.authgate.server.audit;

import dev.authgate.protocol.text.TerminalText;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * The audit log, plus one human line per connection outcome on the operational log (stderr, the
 * journal), as sshd logs every login: accepted, refused with the reason, closed with duration and
 * bytes, and each upload's result. Values a peer chose are escaped. Everything else goes only to
 * the audit log.
 */
public final class ConnectionLog implements AuditLog {
  private static final Logger LOG = LoggerFactory.getLogger("connections");

  private final AuditLog audit;

  /** Records to {@code audit} and logs connection outcomes. */
  public ConnectionLog(AuditLog audit) {
    this.audit = audit;
  }

  @Override
  public void record(AuditEvent event) {
    audit.record(event);
    if (LOG.isInfoEnabled()) {
      String line = line(event.type(), event.fields());
      if (line != null) {
        // The fields ride along as key-value pairs: the text log ignores them, the JSON log
        // (--log-format json) writes each as its own field.
        LoggingEventBuilder entry = LOG.atInfo().addKeyValue("event", event.name());
        event.fields().forEach(entry::addKeyValue);
        entry.log(line);
      }
    }
  }

  /** The log line for an event, or null for events that only the audit log keeps. */
  static String line(AuditEventType type, Map<String, Object> f) {
    return switch (type) {
      case AUTH_ACCEPTED ->
          "accepted "
              + text(f, "client_id")
              + " (key "
              + text(f, "key_id")
              + ") from "
              + text(f, "remote");
      case AUTH_REJECTED ->
          "refused "
              + (f.containsKey("remote") ? text(f, "remote") : text(f, "source"))
              + ": "
              + text(f, "reason")
              + (f.containsKey("client_id") ? " (claimed id " + text(f, "client_id") + ")" : "")
              + (f.get("count") instanceof Number n && n.longValue() > 1 ? " x" + n : "");
      case SESSION_CLOSED -> sessionClosed(f);
      case UPLOAD_STORED, UPLOAD_FAILED, DOWNLOAD_SENT, DOWNLOAD_FAILED -> transfer(type, f);
      case UPLOAD_HOOK, UPLOAD_WEBHOOK -> hook(type, f);
      default -> null;
    };
  }

  private static String sessionClosed(Map<String, Object> f) {
    return "closed "
        + text(f, "client_id")
        + " from "
        + text(f, "remote")
        + ": "
        + text(f, "outcome")
        + " after "
        + seconds(f.get("duration_ms"))
        + ", "
        + bytes(f.get("bytes_in"))
        + " in, "
        + bytes(f.get("bytes_out"))
        + " out";
  }

  private static String transfer(AuditEventType type, Map<String, Object> f) {
    return switch (type) {
      case UPLOAD_STORED ->
          "stored "
              + text(f, "name")
              + " for "
              + text(f, "client_id")
              + ": "
              + bytes(f.get("size"))
              + " in "
              + seconds(f.get("duration_ms"));
      case UPLOAD_FAILED ->
          "upload of "
              + text(f, "name")
              + " by "
              + text(f, "client_id")
              + " failed: "
              + text(f, "reason");
      case DOWNLOAD_SENT ->
          "sent "
              + text(f, "name")
              + " to "
              + text(f, "client_id")
              + ": "
              + bytes(f.get("size"))
              + " in "
              + seconds(f.get("duration_ms"));
      case DOWNLOAD_FAILED ->
          "download of "
              + text(f, "name")
              + " by "
              + text(f, "client_id")
              + " failed: "
              + text(f, "reason");
      default -> null;
    };
  }

  /** A hook's line, for every outcome but ok. */
  private static String hook(AuditEventType type, Map<String, Object> f) {
    return "ok".equals(f.get("outcome"))
        ? null
        : (type == AuditEventType.UPLOAD_HOOK ? "--on-upload" : "--on-upload-url")
            + " for "
            + text(f, "name")
            + " of "
            + text(f, "client_id")
            + ": "
            + text(f, "outcome")
            + (f.containsKey("exit") ? " (exit " + f.get("exit") + ")" : "")
            + (f.containsKey("detail") ? ": " + text(f, "detail") : "");
  }

  private static String text(Map<String, Object> fields, String key) {
    Object value = fields.get(key);
    return value == null ? "-" : TerminalText.escape(String.valueOf(value));
  }

  private static String seconds(Object millis) {
    return millis instanceof Number n
        ? String.format(Locale.ROOT, "%.1f s", n.longValue() / 1000.0)
        : "-";
  }

  private static String bytes(Object count) {
    if (!(count instanceof Number n)) {
      return "-";
    }
    long b = n.longValue();
    if (b < 1024) {
      return b + " B";
    }
    if (b < 1024 * 1024) {
      return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
    }
    if (b < 1024L * 1024 * 1024) {
      return String.format(Locale.ROOT, "%.1f MiB", b / (1024.0 * 1024));
    }
    return String.format(Locale.ROOT, "%.2f GiB", b / (1024.0 * 1024 * 1024));
  }
}
