package dev.authgate.client.upload;

import dev.authgate.client.connect.VerifiedConnection;
import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import dev.authgate.protocol.crypto.Digests;
import dev.authgate.protocol.session.SecureChannel;
import dev.authgate.protocol.session.SessionMessage;
import dev.authgate.protocol.session.UploadBegin;
import dev.authgate.protocol.session.UploadData;
import dev.authgate.protocol.session.UploadEnd;
import dev.authgate.protocol.session.UploadReady;
import dev.authgate.protocol.session.UploadResult;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Uploads files over one verified connection, one after another. Each file is read once, in chunks
 * of {@link #CHUNK_BYTES}, hashed and sent in the same pass, so memory stays constant whatever the
 * file's size.
 *
 * <p>Not thread-safe: one upload at a time per connection.
 */
public final class Uploader {
  /** Bytes per UPLOAD_DATA message. */
  public static final int CHUNK_BYTES = 256 * 1024;

  /** The reason given for a file that changed while it was being read. */
  public static final String SOURCE_CHANGED = "source-changed";

  private final VerifiedConnection connection;
  private final SecureChannel channel;
  private final UploadListener listener;
  private final ByteBuffer buffer = ByteBuffer.allocate(CHUNK_BYTES);
  private final Duration readTimeout;
  private volatile BooleanSupplier cancelled = () -> false;

  /** Uploads over {@code connection}, reporting to {@code listener}. */
  public Uploader(VerifiedConnection connection, UploadListener listener) throws IOException {
    this.connection = connection;
    this.channel = connection.channel();
    this.listener = listener;
    this.readTimeout = connection.readTimeout();
  }

  /**
   * Checks {@code cancelled} after each chunk: once it is true, the upload stops there with {@link
   * UploadCancelledException}, and the connection must be closed (the server keeps what it
   * received, for a resume).
   */
  public void cancelWhen(BooleanSupplier cancelled) {
    this.cancelled = cancelled;
  }

  /**
   * Uploads {@code file} as {@code name}.
   *
   * @param resume continue a partial upload the server kept, after checking its prefix matches
   * @return the outcome; a refusal by the server is an outcome, not an exception
   * @throws IOException if the file cannot be read or the connection fails
   */
  public UploadOutcome upload(Path file, String name, boolean overwrite, boolean resume)
      throws IOException {
    long start = System.nanoTime();
    SourceState before = SourceState.of(file);
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = in.size();
      send(new UploadBegin(name, size, overwrite, resume));
      SessionMessage reply = receive();
      if (reply instanceof UploadResult refused) {
        UploadOutcome outcome = outcome(name, refused, size, 0, start);
        listener.ended(outcome);
        return outcome;
      }
      if (!(reply instanceof UploadReady ready)) {
        throw unexpected(reply, "UPLOAD_READY or UPLOAD_RESULT");
      }
      MessageDigest digest = Digests.newSha256();
      if (ready.offset() > 0 && !prefixMatches(in, ready, digest)) {
        send(new UploadEnd(new byte[32]));
        receive();
        return upload(file, name, overwrite, false);
      }
      SendResult sent = sendData(in, file, before, name, size, ready.offset(), digest);
      UploadResult early = sent.early();
      boolean changed = sent.changed() || !before.equals(SourceState.of(file));
      // A file that changed while it was read gets a digest that cannot match: the server
      // refuses it and stores nothing that no one ever had.
      send(new UploadEnd(changed ? new byte[32] : digest.digest()));
      if (early == null) {
        // The server forces the whole file to disk before it answers: allow for that.
        connection.setReadTimeout(readTimeout.plusSeconds(size >> 24));
        try {
          early = result(receive());
        } finally {
          connection.setReadTimeout(readTimeout);
        }
      }
      UploadOutcome outcome =
          changed
              ? changedOutcome(file, name, size, ready.offset(), start)
              : outcome(name, early, size, ready.offset(), start);
      listener.ended(outcome);
      return outcome;
    }
  }

  private static UploadOutcome changedOutcome(
      Path file, String name, long size, long offset, long start) {
    return new UploadOutcome(
        name,
        false,
        size,
        new byte[32],
        SOURCE_CHANGED,
        file
            + " changed while it was being read (its size, modification or change time moved);"
            + " nothing was stored: upload it again once it is complete",
        offset,
        Duration.ofNanos(System.nanoTime() - start));
  }

  private boolean prefixMatches(FileChannel in, UploadReady ready, MessageDigest digest)
      throws IOException {
    long remaining = ready.offset();
    if (remaining > in.size()) {
      return false;
    }
    in.position(0);
    while (remaining > 0) {
      buffer.clear().limit((int) Math.min(buffer.capacity(), remaining));
      int n = in.read(buffer);
      if (n < 0) {
        return false;
      }
      digest.update(buffer.array(), 0, n);
      remaining -= n;
    }
    try {
      return MessageDigest.isEqual(((MessageDigest) digest.clone()).digest(), ready.prefixSha256());
    } catch (CloneNotSupportedException e) {
      throw new IllegalStateException("SHA-256 digests cannot be cloned here", e);
    }
  }

  /**
   * What sending the data ended with.
   *
   * @param early a result the server sent before END, or null
   * @param changed whether the source file changed while it was read
   */
  private record SendResult(UploadResult early, boolean changed) {}

  /**
   * Sends the file from {@code offset}, checking after each chunk that the file is still the one
   * that was opened; stops early if it is not, or if the server answered already.
   */
  private SendResult sendData(
      FileChannel in,
      Path file,
      SourceState before,
      String name,
      long size,
      long offset,
      MessageDigest digest)
      throws IOException {
    listener.started(name, size, offset);
    in.position(offset);
    long position = offset;
    while (position < size) {
      buffer.clear().limit((int) Math.min(buffer.capacity(), size - position));
      int n = in.read(buffer);
      if (n < 0) {
        return new SendResult(null, true);
      }
      digest.update(buffer.array(), 0, n);
      send(new UploadData(buffer.array(), 0, n));
      position += n;
      listener.advanced(position);
      // An early answer first: a refusal (quota, disk full) already dropped what was sent, and
      // a stop asked now must not report those bytes as kept.
      if (channel.hasPendingInput()) {
        return new SendResult(result(receive()), false);
      }
      if (cancelled.getAsBoolean() && position < size) {
        throw new UploadCancelledException(name, position, size);
      }
      if (!before.equals(SourceState.of(file))) {
        return new SendResult(null, true);
      }
    }
    return new SendResult(null, false);
  }

  /**
   * Sends one message. If the server has ended the session, the write fails ("broken pipe"); its
   * CLOSE is usually waiting to be read, and says why.
   */
  private void send(SessionMessage message) throws IOException {
    try {
      channel.send(message);
    } catch (IOException e) {
      throw explainLostSession(e);
    }
  }

  private IOException explainLostSession(IOException writeFailure) {
    try {
      connection.setReadTimeout(Duration.ofSeconds(2));
      SessionMessage last = channel.receive();
      if (last instanceof SessionMessage.Close close) {
        return closed(close);
      }
    } catch (IOException | RuntimeException e) {
      // Nothing more to learn: report the write failure itself.
    }
    return writeFailure;
  }

  private static ProtocolException closed(SessionMessage.Close close) {
    if (close.code() == SessionMessage.Close.REVOKED) {
      return new ProtocolException(
          Reason.REVOKED_KEY, "the server ended the session during the upload: " + close.text());
    }
    if (close.code() == SessionMessage.Close.LOCKED) {
      return new ProtocolException(
          Reason.CLONE_SUSPECTED,
          "the server ended the session during the upload: " + close.text());
    }
    return new ProtocolException(
        Reason.CONNECTION_LOST, "the server closed the session: " + close.text());
  }

  /** The next upload reply; a CLOSE from the server is a lost connection. */
  private SessionMessage receive() throws IOException {
    SessionMessage message = channel.receive();
    return switch (message) {
      case UploadReady r -> r;
      case UploadResult r -> r;
      case SessionMessage.Close c -> throw closed(c);
      default ->
          throw new ProtocolException(Reason.MALFORMED, "unexpected " + message + " from server");
    };
  }

  private static UploadResult result(SessionMessage reply) throws ProtocolException {
    if (reply instanceof UploadResult result) {
      return result;
    }
    throw unexpected(reply, "UPLOAD_RESULT");
  }

  private static ProtocolException unexpected(SessionMessage reply, String expected) {
    return new ProtocolException(
        Reason.MALFORMED, "the server sent " + reply + " where " + expected + " belongs");
  }

  private static UploadOutcome outcome(
      String name, UploadResult result, long size, long offset, long start) {
    return new UploadOutcome(
        name,
        result.stored(),
        size,
        result.sha256(),
        result.reason(),
        result.text(),
        offset,
        Duration.ofNanos(System.nanoTime() - start));
  }
}
