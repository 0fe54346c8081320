package dev.authgate.server.upload;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.function.Consumer;

/**
 * One upload in progress: bytes go to a staging file in the client's directory and into a running
 * SHA-256. {@link #finish} checks size and hash, forces the file to disk and renames it into place;
 * {@link #abort} deletes it; {@link #interrupt} keeps the verified prefix for a later resume.
 * Exactly one of the three ends it.
 *
 * <p>Not thread-safe: owned by the connection receiving the file.
 */
public final class PartialUpload {
  /**
   * The UPLOAD_END digest a client sends to abandon an upload (32 zero bytes; no file hashes to
   * it): its source changed while it was read, or no longer starts with the partial being resumed.
   */
  private static final byte[] ABANDONED = new byte[32];

  private final UploadStore store;
  private final String clientId;
  private final String name;
  private final String partial;
  private final ClientDirectory dir;
  private final long offset;
  private final long size;
  private final MessageDigest digest;
  private final byte[] prefixSha256;
  private final FileChannel out;
  private final String lock;
  private final Instant started;
  private final long reserved;
  private long written;
  private boolean ended;

  PartialUpload(
      UploadStore store,
      String clientId,
      String name,
      String partial,
      ClientDirectory dir,
      long offset,
      long size,
      MessageDigest digest,
      byte[] prefixSha256,
      FileChannel out,
      String lock,
      Instant started,
      long reserved) {
    this.store = store;
    this.clientId = clientId;
    this.name = name;
    this.partial = partial;
    this.dir = dir;
    this.offset = offset;
    this.size = size;
    this.digest = digest;
    this.prefixSha256 = prefixSha256;
    this.out = out;
    this.lock = lock;
    this.started = started;
    this.reserved = reserved;
    this.written = offset;
  }

  /** The file name. */
  String name() {
    return name;
  }

  /** Where the client should continue: 0, or the length of the kept prefix. */
  long offset() {
    return offset;
  }

  /** SHA-256 of the first {@link #offset()} bytes. */
  byte[] prefixSha256() {
    return prefixSha256.clone();
  }

  /** The declared size. */
  long size() {
    return size;
  }

  /** Bytes in the staging file so far. */
  long written() {
    return written;
  }

  /** When the upload began. */
  Instant started() {
    return started;
  }

  /**
   * Appends a chunk.
   *
   * @throws UploadRefused {@code size-mismatch} if the chunk goes past the declared size, {@code
   *     storage-error} if the disk is full or failing; the staging file is deleted then
   */
  void write(byte[] bytes) throws UploadRefused {
    write(bytes, 0, bytes.length);
  }

  /** Appends {@code length} bytes of {@code bytes} from {@code offset}. */
  void write(byte[] bytes, int offset, int length) throws UploadRefused {
    if (written + length > size) {
      throw abort("size-mismatch", "more bytes arrived than the declared " + size);
    }
    try {
      ByteBuffer buffer = ByteBuffer.wrap(bytes, offset, length);
      while (buffer.hasRemaining()) {
        out.write(buffer);
      }
    } catch (IOException e) {
      throw abort("storage-error", "the server could not write '" + name + "': " + describe(e));
    }
    digest.update(bytes, offset, length);
    written += length;
  }

  private static String describe(IOException e) {
    String message = String.valueOf(e.getMessage());
    return message.toLowerCase(java.util.Locale.ROOT).contains("space")
        ? "no space left on the server's disk"
        : message;
  }

  /**
   * Completes the upload if the size and the client's SHA-256 match what was received.
   *
   * @return the stored file's SHA-256
   * @throws UploadRefused {@code size-mismatch}, {@code hash-mismatch} or {@code storage-error};
   *     nothing is left behind then
   */
  byte[] finish(byte[] clientSha256, boolean overwrite) throws UploadRefused {
    return finish(clientSha256, overwrite, sha256 -> {});
  }

  /**
   * As {@link #finish(byte[], boolean)}, calling {@code announce} with the stored file's SHA-256
   * after it is in place and before its name is free for another upload: whatever {@code announce}
   * does (the {@code upload.stored} event, and the hooks' snapshot of the file taken then) sees
   * exactly these bytes under the name, never a replacement's.
   */
  byte[] finish(byte[] clientSha256, boolean overwrite, Consumer<byte[]> announce)
      throws UploadRefused {
    if (MessageDigest.isEqual(clientSha256, ABANDONED)) {
      throw abort(
          "source-changed",
          "the client abandoned the upload after "
              + written
              + " bytes: its file changed while it was read (or no longer starts with the kept"
              + " partial); nothing was stored");
    }
    if (written != size) {
      throw abort("size-mismatch", "received " + written + " bytes; the declared size is " + size);
    }
    byte[] sha256 = digest.digest();
    if (!MessageDigest.isEqual(sha256, clientSha256)) {
      throw abort(
          "hash-mismatch",
          "the SHA-256 of the received bytes ("
              + HexFormat.of().formatHex(sha256)
              + ") is not the client's");
    }
    try {
      out.force(true);
      out.close();
      if (!overwrite && dir.sizeOf(name) >= 0) {
        throw abort("exists", "'" + name + "' appeared on the server during the upload");
      }
      dir.rename(partial, name);
      dir.sync();
    } catch (IOException e) {
      throw abort("storage-error", "the server could not store '" + name + "': " + describe(e));
    }
    try {
      announce.accept(sha256);
    } finally {
      end();
    }
    return sha256;
  }

  /** Deletes the staging file and ends the upload; returns the refusal to report. */
  UploadRefused abort(String reason, String message) {
    if (!ended) {
      closeQuietly();
      dir.deleteIfExists(partial);
      end();
    }
    return new UploadRefused(reason, message);
  }

  /** The connection was lost: keeps the bytes received so far, on disk, for a resume. */
  void interrupt() {
    if (ended) {
      return;
    }
    try {
      out.force(true);
    } catch (IOException e) {
      // The prefix may be incomplete on disk; the client checks its hash before resuming.
    }
    closeQuietly();
    end();
  }

  private void closeQuietly() {
    try {
      out.close();
    } catch (IOException ignored) {
      // Closing a channel we are abandoning; nothing else to do.
    }
  }

  private void end() {
    ended = true;
    try {
      dir.close();
    } catch (IOException ignored) {
      // The handle is released either way.
    }
    store.finished(clientId, lock, reserved);
  }
}
