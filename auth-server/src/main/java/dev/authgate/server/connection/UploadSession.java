package dev.authgate.server.connection;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import dev.authgate.protocol.keyfile.Permissions;
import dev.authgate.protocol.session.SecureChannel;
import dev.authgate.protocol.session.UploadBegin;
import dev.authgate.protocol.session.UploadData;
import dev.authgate.protocol.session.UploadEnd;
import dev.authgate.protocol.session.UploadReady;
import dev.authgate.protocol.session.UploadResult;
import dev.authgate.server.audit.AuditEvent;
import dev.authgate.server.upload.PartialUpload;
import dev.authgate.server.upload.UploadRefused;
import dev.authgate.server.upload.UploadStore;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.function.Function;

/**
 * The upload side of one verified session: BEGIN, DATA..., END per file, any number of files. Sends
 * exactly one UPLOAD_RESULT per BEGIN — at once if the file is refused or the server fails
 * mid-stream (then the rest of that file's data is read and dropped until END), otherwise after
 * END.
 *
 * <p>Not thread-safe: driven by the connection's thread.
 */
final class UploadSession {
  private enum State {
    IDLE,
    RECEIVING,
    FINISHING,
    DRAINING
  }

  private final UploadStore store;
  private final String clientId;
  private final SecureChannel channel;
  private final Function<String, AuditEvent> events;
  private final java.util.function.Consumer<AuditEvent> audit;
  private final Clock clock;
  private volatile State state = State.IDLE;
  private PartialUpload current;
  private UploadBegin request;
  private int stored;
  private int failed;

  UploadSession(
      UploadStore store,
      String clientId,
      SecureChannel channel,
      Function<String, AuditEvent> events,
      java.util.function.Consumer<AuditEvent> audit,
      Clock clock) {
    this.store = store;
    this.clientId = clientId;
    this.channel = channel;
    this.events = events;
    this.audit = audit;
    this.clock = clock;
  }

  void begin(UploadBegin begin, Permissions permissions) throws IOException {
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

  void data(UploadData data) throws IOException {
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

  void end(UploadEnd end) throws IOException {
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
                  audit.accept(
                      events
                          .apply("upload.stored")
                          .with("name", request.name())
                          .with("size", request.size())
                          .with("sha256", HexFormat.of().formatHex(storedSha256))
                          .with("resumed_from", current.offset() > 0 ? current.offset() : null)
                          .with(
                              "duration_ms",
                              Duration.between(current.started(), clock.instant()).toMillis())));
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
    audit.accept(
        events
            .apply("upload.failed")
            .with("name", request.name())
            .with("reason", e.reason())
            .with("detail", e.getMessage())
            .with("bytes", bytes));
    channel.send(new UploadResult(false, bytes, new byte[32], e.reason(), e.getMessage()));
  }

  /** The connection ended: an upload in progress keeps its prefix for a resume. */
  void connectionEnded(String outcome) {
    if (state != State.RECEIVING) {
      return;
    }
    current.interrupt();
    failed++;
    audit.accept(
        events
            .apply("upload.failed")
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
  boolean receiving() {
    State now = state;
    return now == State.RECEIVING || now == State.FINISHING;
  }

  /** Whether any upload was attempted. */
  boolean used() {
    return stored + failed > 0;
  }

  /** Files stored on this connection. */
  int stored() {
    return stored;
  }

  /** Files refused or failed on this connection. */
  int failed() {
    return failed;
  }

  private void expect(State wanted, String what) throws ProtocolException {
    if (state != wanted) {
      throw new ProtocolException(Reason.MALFORMED, what + " while the upload is " + state);
    }
  }
}
