package dev.authgate.server.defence;

import dev.authgate.protocol.Reason;
import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.audit.AuditLog;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Audits connections refused at accept ({@code penalized}, {@code overloaded}) without letting a
 * flood flood the log: the first refusal of a kind in a window is written at once ({@code count}
 * 1); further ones in the same window are counted and written as one event with their {@code count}
 * when the window closes. Penalised refusals and refusals over the per-source handshake cap are
 * grouped per source netblock, other overload refusals all together (a full table is not one
 * source's doing).
 *
 * <p>Thread-safe.
 */
public final class RefusalAudit {
  private static final int MAX_WINDOWS = 65_536;

  private final AuditLog audit;
  private final Clock clock;
  private final Duration window;
  private final LinkedHashMap<String, Window> windows = new LinkedHashMap<>();

  private static final class Window {
    final Instant start;
    final Reason reason;
    final String source;
    long suppressed;

    Window(Instant start, Reason reason, String source) {
      this.start = start;
      this.reason = reason;
      this.source = source;
    }
  }

  /** Aggregates over {@code window}. */
  public RefusalAudit(AuditLog audit, Clock clock, Duration window) {
    this.audit = audit;
    this.clock = clock;
    this.window = window;
  }

  /**
   * Records one refused connection from {@code remote} (in netblock {@code source}).
   *
   * @param bySource whether the refusal is that source's own doing (a penalty, or its per-source
   *     handshake cap), so it is counted per source
   */
  public void refused(Reason reason, boolean bySource, String source, String remote) {
    refused(reason, bySource, source, remote, null);
  }

  /**
   * Records one refused connection from {@code remote} (in netblock {@code source}) that came
   * through the trusted proxy {@code proxy} (null if it came directly): such a refusal happens once
   * the PROXY header has named the source, still before any handshake.
   */
  public void refused(Reason reason, boolean bySource, String source, String remote, String proxy) {
    String group = bySource ? source : "*";
    String key = reason.auditName() + " " + group;
    Instant now = clock.instant();
    synchronized (windows) {
      Window open = windows.get(key);
      if (open != null && now.isBefore(open.start.plus(window))) {
        open.suppressed++;
        return;
      }
      if (open != null) {
        emit(open);
      }
      windows.remove(key);
      if (windows.size() >= MAX_WINDOWS) {
        Iterator<Window> eldest = windows.values().iterator();
        emit(eldest.next());
        eldest.remove();
      }
      windows.put(key, new Window(now, reason, group));
    }
    audit.record(
        AuditEvent.of(AuditEventType.AUTH_REJECTED)
            .with("remote", remote)
            .with("proxy", proxy)
            .with("source", source)
            .with("reason", reason.auditName())
            .with("count", 1)
            .with(
                "detail",
                (proxy == null
                        ? "refused at accept, before any handshake: "
                        : "refused after the PROXY header, before any handshake: ")
                    + why(reason, bySource)));
  }

  private static String why(Reason reason, boolean bySource) {
    if (reason == Reason.PENALIZED) {
      return "the source is serving a penalty";
    }
    return bySource
        ? "too many handshakes in progress from this source (--per-source-max-startups)"
        : "too many handshakes in progress (--max-startups)";
  }

  /** Writes the counts of windows that have closed. Called periodically. */
  public void flush() {
    Instant now = clock.instant();
    synchronized (windows) {
      Iterator<Map.Entry<String, Window>> it = windows.entrySet().iterator();
      while (it.hasNext()) {
        Window w = it.next().getValue();
        if (!now.isBefore(w.start.plus(window))) {
          emit(w);
          it.remove();
        }
      }
    }
  }

  private void emit(Window w) {
    if (w.suppressed == 0) {
      return;
    }
    audit.record(
        AuditEvent.of(AuditEventType.AUTH_REJECTED)
            .with("source", w.source)
            .with("reason", w.reason.auditName())
            .with("count", w.suppressed)
            .with(
                "detail",
                w.suppressed
                    + " more connections refused at accept in the "
                    + window.toSeconds()
                    + " s from "
                    + w.start));
  }
}
