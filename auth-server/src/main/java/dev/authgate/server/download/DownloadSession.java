package dev.authgate.server.download;

import dev.authgate.protocol.crypto.Digests;
import dev.authgate.protocol.keyfile.Permissions;
import dev.authgate.protocol.session.FileListing;
import dev.authgate.protocol.session.GetData;
import dev.authgate.protocol.session.GetEnd;
import dev.authgate.protocol.session.GetFile;
import dev.authgate.protocol.session.GetReady;
import dev.authgate.protocol.session.ListRefused;
import dev.authgate.protocol.session.SecureChannel;
import dev.authgate.protocol.session.UploadNames;
import dev.authgate.protocol.text.IoErrors;
import dev.authgate.server.audit.AuditEventType;
import dev.authgate.server.download.PublishedFiles.Published;
import dev.authgate.server.download.PublishedFiles.State;
import dev.authgate.server.session.VerifiedSession;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The download side of one verified session: LIST_FILES answered with listings, GET_FILE with
 * GET_READY, the data and one GET_END. A file is streamed on the connection's thread from one open
 * descriptor, hashed as it is read (with the prefix a resuming client already holds), and checked
 * against its path before and after each chunk: a file replaced or rewritten while it is sent ends
 * with GET_END {@code changed}, and the client stores nothing.
 *
 * <p>Not thread-safe: driven by the connection's thread.
 */
public final class DownloadSession {
  /** Bytes per GET_DATA message, as uploads use. */
  static final int CHUNK_BYTES = 256 * 1024;

  private final PublishedFiles files;
  private final VerifiedSession session;
  private final String clientId;
  private final SecureChannel channel;
  private byte[] buffer;
  private int sent;
  private int failed;
  private int skipped;
  private boolean listed;

  /** The download side of {@code session}, serving what {@code files} publishes. */
  public DownloadSession(PublishedFiles files, VerifiedSession session) {
    this.files = files;
    this.session = session;
    this.clientId = session.clientId();
    this.channel = session.channel();
  }

  /**
   * Sends what this client may fetch, {@link FileListing#MAX_ENTRIES} entries per listing; or, if
   * the published tree cannot be read, one LIST_REFUSED {@code storage-error}. The client learns
   * that the server failed, not why: the audit log says why.
   */
  public void list() throws IOException {
    listed = true;
    List<FileListing.Entry> entries;
    try {
      entries = files.list(clientId);
    } catch (IOException e) {
      failed++;
      session.audit(
          session
              .event(AuditEventType.DOWNLOAD_FAILED)
              .with("reason", "storage-error")
              .with("detail", storageDetail(e)));
      channel.send(
          new ListRefused(
              "storage-error",
              "the server cannot read its published files now (its audit log says why)"));
      return;
    }
    int from = 0;
    do {
      int to = Math.min(entries.size(), from + FileListing.MAX_ENTRIES);
      channel.send(new FileListing(to < entries.size(), entries.subList(from, to)));
      from = to;
    } while (from < entries.size());
  }

  /**
   * What the operator needs to fix a read failure: the path and why, and for a permission problem
   * who owns it (the reason already says who the server runs as).
   */
  static String storageDetail(IOException e) {
    String detail = IoErrors.describe(e);
    if (e instanceof AccessDeniedException denied && denied.getFile() != null) {
      String owner = IoErrors.ownerAndMode(Path.of(denied.getFile()));
      if (!owner.isEmpty()) {
        detail += "; it is " + owner;
      }
    }
    return detail;
  }

  /** Sends one file, or says why not; exactly one GET_END either way. */
  public void get(GetFile request, Permissions permissions) throws IOException {
    Instant start = session.clock().instant();
    String name = request.name();
    if (!permissions.allows(Permissions.SessionKind.DOWNLOAD)) {
      refuse(name, "not-permitted", "downloads are not permitted for this client", 0);
      return;
    }
    String problem = UploadNames.problem(name);
    if (problem != null) {
      refuse(name, "bad-name", problem + "; " + UploadNames.RULE, 0);
      return;
    }
    Optional<Published> found;
    try {
      found = files.find(clientId, name);
    } catch (IOException e) {
      refuse(name, "storage-error", "the server cannot read '" + name + "' now", 0, e);
      return;
    }
    if (found.isEmpty()) {
      refuse(name, "not-found", "'" + name + "' is not published for this client", 0);
      return;
    }
    Published file = found.get();
    State before = file.state();
    FileChannel in;
    try {
      in = files.open(file);
    } catch (NoSuchFileException gone) {
      refuse(name, "not-found", "'" + name + "' is not published for this client", 0);
      return;
    } catch (IOException e) {
      refuse(name, "storage-error", "the server cannot read '" + name + "' now", 0, e);
      return;
    }
    try (in) {
      send(file, request, in, before, start);
    }
  }

  private void send(Published file, GetFile request, FileChannel in, State before, Instant start)
      throws IOException {
    String name = file.name();
    long size = before.size();
    if (request.ifChanged() && answeredUnchanged(file, request, size)) {
      return;
    }
    if (buffer == null) {
      buffer = new byte[CHUNK_BYTES];
    }
    MessageDigest digest = Digests.newSha256();
    long offset = 0;
    try {
      if (request.offset() > 0 && request.offset() <= size) {
        hash(in, request.offset(), digest);
        byte[] prefix = clone(digest).digest();
        if (MessageDigest.isEqual(prefix, request.prefixSha256())) {
          offset = request.offset();
        } else {
          digest = Digests.newSha256(); // the client's prefix is of another file: start over
        }
      }
    } catch (IOException e) {
      refuse(name, "storage-error", "the server cannot read '" + name + "' now", 0, e);
      return;
    }
    channel.send(new GetReady(size, before.modifiedMillis(), offset));
    if (!stream(file, in, before, offset, digest)) {
      return;
    }
    byte[] sha256 = digest.digest();
    files.remember(file.path(), before, sha256);
    sent++;
    session.audit(
        session
            .event(AuditEventType.DOWNLOAD_SENT)
            .with("name", name)
            .with("size", size)
            .with("sha256", HexFormat.of().formatHex(sha256))
            .with("shared", file.shared())
            .with("resumed_from", offset > 0 ? offset : null)
            .with("duration_ms", Duration.between(start, session.clock().instant()).toMillis()));
    channel.send(new GetEnd(GetEnd.Status.SENT, size, sha256, "", "sent"));
  }

  /**
   * Answers UNCHANGED (audited as skipped) if the client has the file's bytes, or refuses if the
   * file cannot be hashed.
   *
   * @return whether the request was answered
   */
  private boolean answeredUnchanged(Published file, GetFile request, long size) throws IOException {
    String name = file.name();
    byte[] sha256;
    try {
      sha256 = files.sha256(file);
    } catch (IOException e) {
      refuse(name, "storage-error", "the server cannot read '" + name + "' now", 0, e);
      return true;
    }
    if (!MessageDigest.isEqual(sha256, request.haveSha256())) {
      return false;
    }
    skipped++;
    session.audit(
        session
            .event(AuditEventType.DOWNLOAD_SKIPPED)
            .with("name", name)
            .with("size", size)
            .with("sha256", HexFormat.of().formatHex(sha256))
            .with("reason", "unchanged"));
    channel.send(new GetEnd(GetEnd.Status.UNCHANGED, size, sha256, "", "unchanged"));
    return true;
  }

  /**
   * Sends the file from {@code offset} in GET_DATA chunks, hashing each into {@code digest} and
   * checking after each that the file is still as it was.
   *
   * @return false if the transfer was refused (changed, unreadable), said to the client already
   */
  private boolean stream(
      Published file, FileChannel in, State before, long offset, MessageDigest digest)
      throws IOException {
    String name = file.name();
    long size = before.size();
    long position = offset;
    ByteBuffer chunk = ByteBuffer.wrap(buffer);
    while (position < size) {
      int n;
      try {
        chunk.clear().limit((int) Math.min(buffer.length, size - position));
        n = in.read(chunk, position);
      } catch (IOException e) {
        refuse(
            name, "storage-error", "the server could not read '" + name + "'", position - offset);
        return false;
      }
      if (n < 0 || !unchanged(file, before)) {
        refuse(name, "changed", changedText(name), position - offset);
        return false;
      }
      digest.update(buffer, 0, n);
      channel.send(new GetData(buffer, 0, n));
      position += n;
    }
    if (!unchanged(file, before)) {
      refuse(name, "changed", changedText(name), position - offset);
      return false;
    }
    return true;
  }

  private static String changedText(String name) {
    return "'"
        + name
        + "' changed on the server while it was being sent; nothing was stored:"
        + " fetch it again";
  }

  private static boolean unchanged(Published file, State before) throws IOException {
    return State.of(file.path()).equals(Optional.of(before));
  }

  private void hash(FileChannel in, long length, MessageDigest digest) throws IOException {
    ByteBuffer chunk = ByteBuffer.wrap(buffer);
    long position = 0;
    while (position < length) {
      chunk.clear().limit((int) Math.min(buffer.length, length - position));
      int n = in.read(chunk, position);
      if (n < 0) {
        throw new IOException("the file ended early");
      }
      digest.update(buffer, 0, n);
      position += n;
    }
  }

  private static MessageDigest clone(MessageDigest digest) {
    try {
      return (MessageDigest) digest.clone();
    } catch (CloneNotSupportedException e) {
      throw new IllegalStateException("SHA-256 digests cannot be cloned here", e);
    }
  }

  private void refuse(String name, String reason, String text, long bytes) throws IOException {
    refuse(name, reason, text, bytes, null);
  }

  /** As above; the audit's detail is {@code cause}'s message (the server's side), if given. */
  private void refuse(String name, String reason, String text, long bytes, IOException cause)
      throws IOException {
    failed++;
    session.audit(
        session
            .event(AuditEventType.DOWNLOAD_FAILED)
            .with("name", name)
            .with("reason", reason)
            .with("detail", cause == null ? text : storageDetail(cause))
            .with("bytes", bytes));
    channel.send(GetEnd.refused(reason, text));
  }

  /** Whether the client listed or asked for any file. */
  public boolean used() {
    return listed || sent + failed + skipped > 0;
  }

  public int sent() {
    return sent;
  }

  public int failed() {
    return failed;
  }

  public int skipped() {
    return skipped;
  }
}
