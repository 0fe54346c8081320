package dev.authgate.server.session;

import dev.authgate.protocol.session.SecureChannel;
import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.audit.AuditEventType;
import java.time.Clock;

/**
 * What a feature (chat, upload, download) sees of one verified session: the only thing the
 * connection package hands a feature. The connection reads each message and routes it to the
 * feature's handler; the handler answers on {@link #channel()} and audits through {@link #audit}.
 *
 * <p>Called from the connection's thread only, except {@link #closeSoonAsTooSlow()} and {@link
 * #finalWordsWritten()}, which any thread may call.
 */
public interface VerifiedSession {
  /** The verified client id. */
  String clientId();

  /** This connection's id, as the audit log names it. */
  String connectionId();

  /** The sealed channel: the connection's thread is its only reader and writer. */
  SecureChannel channel();

  /** The server's clock. */
  Clock clock();

  /** A new audit event of {@code type}, carrying this connection's fields and the client id. */
  AuditEvent event(AuditEventType type);

  /**
   * A new audit event of {@code type} carrying this connection's fields only: for events about
   * another identity than the session's (the machine a token session enrolls).
   */
  AuditEvent connectionEvent(AuditEventType type);

  /**
   * Records {@code event}; a refusal ({@code upload.failed}, {@code download.failed}, {@code
   * download.skipped}) only while the client's control budget lasts, counted in {@code
   * session.closed} past it.
   */
  void audit(AuditEvent event);

  /** Ends the session soon because its peer reads too slowly (its queue overflowed). */
  void closeSoonAsTooSlow();

  /**
   * After {@link #closeSoonAsTooSlow()}: the final notice and CLOSE are written, nothing more will
   * be; the peer reads them and the end of the stream. Any thread may call it.
   */
  void finalWordsWritten();
}
