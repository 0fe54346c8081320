package dev.authgate.server.upload;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import dev.authgate.protocol.keyfile.Permissions;
import dev.authgate.protocol.session.SecureChannel;
import dev.authgate.protocol.session.UploadBegin;
import dev.authgate.protocol.session.UploadData;
import dev.authgate.protocol.session.UploadEnd;
import dev.authgate.protocol.session.UploadReady;
import dev.authgate.protocol.session.UploadResult;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.session.VerifiedSession;
import java.io.IOException;
import java.time.Duration;
import java.util.HexFormat;

/**
 * The upload side of one verified session: BEGIN, DATA..., END per file, any number of files. Sends
 * exactly one UPLOAD_RESULT per BEGIN — at once if the file is refused or the server fails
 * mid-stream (then the rest of that file's data is read and dropped until END), otherwise after
 * END.
 *
 * <p>Not thread-safe: driven by the connection's thread.
 */
public final class UploadSession {
  private enum State {
    IDLE,
    RECEIVING,
    FINISHING,
    DRAINING
  }

  private final UploadStore store;
  private final VerifiedSession session;
  private final String clientId;
  private final SecureChannel channel;
  private volatile State state = State.IDLE;
  private PartialUpload current;
  private UploadBegin request;
  private int stored;
  private int failed;

  /** The upload side of {@code session}, storing into {@code store}. */
  public UploadSession(UploadStore store, VerifiedSession session) {
    this.store = store;
    this.session = session;
    this.clientId = session.clientId();
    this.channel = session.channel();
  }

  public void begin(UploadBegin begin, Permissions permissions) throws IOException {
    expect(State.IDLE, "UPLOAD_BEGIN");
    request = begin;
    try {
      if (!permissions.allows(Permissions.SessionKind.UPLOAD)) {
        throw new UploadRefused("not-permitted", "uploads are not permitted for this client");
      }
      current = store.begin(clientId, begin, permissions);
      state = State.RECEIVING;
      channel.send(new UploadReady(current.offset(), current.prefixSha256()));
    } catch (UploadRefused e) {
      refuse(e, 0);
    }
  }

  public void data(UploadData data) throws IOException {
    if (state == State.DRAINING) {
      return;
    }
    expect(State.RECEIVING, "UPLOAD_DATA");
    try {
      current.write(data.buffer(), data.offset(), data.length());
    } catch (UploadRefused e) {
      refuse(e, current.written());
      state = State.DRAINING;
    }
  }

  public void end(UploadEnd end) throws IOException {
    if (state == State.DRAINING) {
      state = State.IDLE;
      return;
    }
    expect(State.RECEIVING, "UPLOAD_END");
    state = State.FINISHING;
    try {
      // Audited while the name is still this upload's, so the hooks' snapshot (taken as the
      // event is recorded) holds these bytes even if the client overwrites the name at once.
      byte[] sha256 =
          current.finish(
              end.sha256(),
              request.overwrite(),
              storedSha256 ->
                  session.audit(
                      session
                          .event(AuditEventType.UPLOAD_STORED)
                          .with("name", request.name())
                          .with("size", request.size())
                          .with("sha256", HexFormat.of().formatHex(storedSha256))
                          .with("resumed_from", current.offset() > 0 ? current.offset() : null)
                          .with(
                              "duration_ms",
                              Duration.between(current.started(), session.clock().instant())
                                  .toMillis())));
      stored++;
      channel.send(new UploadResult(true, request.size(), sha256, "", "stored"));
    } catch (UploadRefused e) {
      refuse(e, current.written());
    } finally {
      state = State.IDLE;
    }
  }

  private void refuse(UploadRefused e, long bytes) throws IOException {
    failed++;
    session.audit(
        session
            .event(AuditEventType.UPLOAD_FAILED)
            .with("name", request.name())
            .with("reason", e.reason())
            .with("detail", e.getMessage())
            .with("bytes", bytes));
    channel.send(new UploadResult(false, bytes, new byte[32], e.reason(), e.getMessage()));
  }

  /** The connection ended: an upload in progress keeps its prefix for a resume. */
  public void connectionEnded(String outcome) {
    if (state != State.RECEIVING) {
      return;
    }
    current.interrupt();
    failed++;
    session.audit(
        session
            .event(AuditEventType.UPLOAD_FAILED)
            .with("name", request.name())
            .with("reason", "interrupted")
            .with(
                "detail",
                "connection ended ("
                    + outcome
                    + "); "
                    + current.written()
                    + " bytes kept for --resume")
            .with("bytes", current.written()));
    state = State.IDLE;
  }

  /** Whether a file is being received now. Safe to call from any thread. */
  public boolean receiving() {
    State now = state;
    return now == State.RECEIVING || now == State.FINISHING;
  }

  /** Whether any upload was attempted. */
  public boolean used() {
    return stored + failed > 0;
  }

  /** Files stored on this connection. */
  public int stored() {
    return stored;
  }

  /** Files refused or failed on this connection. */
  public int failed() {
    return failed;
  }

  private void expect(State wanted, String what) throws ProtocolException {
    if (state != wanted) {
      throw new ProtocolException(Reason.MALFORMED, what + " while the upload is " + state);
    }
  }
}
