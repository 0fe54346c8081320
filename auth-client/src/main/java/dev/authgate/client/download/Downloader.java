package dev.authgate.client.download;

import dev.authgate.client.connect.VerifiedConnection;
import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import dev.authgate.protocol.crypto.Digests;
import dev.authgate.protocol.session.FileListing;
import dev.authgate.protocol.session.GetData;
import dev.authgate.protocol.session.GetEnd;
import dev.authgate.protocol.session.GetFile;
import dev.authgate.protocol.session.GetReady;
import dev.authgate.protocol.session.ListFiles;
import dev.authgate.protocol.session.ListRefused;
import dev.authgate.protocol.session.SecureChannel;
import dev.authgate.protocol.session.SessionMessage;
import dev.authgate.protocol.session.UploadNames;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Lists and fetches published files over one verified connection, one after another.
 *
 * <p>A file is written to a hidden staging file beside its destination ({@code
 * .NAME.authgate-part}, mode 0600), hashed as it arrives, and only when its SHA-256 matches the one
 * the server computed over the whole file is it forced to disk and renamed over {@code NAME}. So a
 * partial or corrupt copy never appears under the final name, and a file replaced on the server
 * while it was sent (the server says {@code changed}) leaves nothing. With resume, an existing
 * staging file is offered to the server with its SHA-256; the server continues after it only if its
 * own file starts with those bytes.
 *
 * <p>Not thread-safe: one transfer at a time per connection.
 */
public final class Downloader {
  /** Suffix of the hidden staging file, {@code .NAME.authgate-part}. */
  public static final String STAGING_SUFFIX = ".authgate-part";

  private final VerifiedConnection connection;
  private final SecureChannel channel;
  private final DownloadListener listener;
  private final ByteBuffer buffer = ByteBuffer.allocate(256 * 1024);

  /** Downloads over {@code connection}, reporting to {@code listener}. */
  public Downloader(VerifiedConnection connection, DownloadListener listener) {
    this.connection = connection;
    this.channel = connection.channel();
    this.listener = listener;
  }

  /**
   * The files this client may fetch, by name.
   *
   * @throws ListRefusedException if the server could not read what it publishes
   */
  public List<FileListing.Entry> list() throws IOException {
    channel.send(new ListFiles());
    List<FileListing.Entry> entries = new ArrayList<>();
    while (true) {
      SessionMessage reply = receive();
      if (reply instanceof ListRefused refused && entries.isEmpty()) {
        throw new ListRefusedException(refused.reason(), refused.text());
      }
      if (!(reply instanceof FileListing listing)) {
        throw unexpected(reply, "FILE_LISTING");
      }
      entries.addAll(listing.entries());
      if (!listing.more()) {
        return entries;
      }
    }
  }

  /** Where {@code name} is staged in {@code directory}. */
  public static Path stagingFile(Path directory, String name) {
    return directory.resolve("." + name + STAGING_SUFFIX);
  }

  /**
   * Fetches {@code name} into {@code directory}.
   *
   * @param resume continue from a staging file left by an interrupted download
   * @param ifChanged transfer nothing if {@code directory/name} already has the file's SHA-256
   * @return the outcome; a refusal by the server is an outcome, not an exception
   * @throws IOException if the connection fails or the local disk does
   * @throws IllegalArgumentException if {@code name} could never be published
   */
  public DownloadOutcome get(String name, Path directory, boolean resume, boolean ifChanged)
      throws IOException {
    String problem = UploadNames.problem(name);
    if (problem != null || name.startsWith(".")) {
      throw new IllegalArgumentException(
          "'"
              + name
              + "': "
              + (problem != null ? problem : "published names do not start with '.'"));
    }
    long start = System.nanoTime();
    Path target = directory.resolve(name);
    Path staging = stagingFile(directory, name);
    byte[] have = new byte[32];
    if (ifChanged && Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
      have = sha256(target, Long.MAX_VALUE, Digests.newSha256());
    }
    MessageDigest digest = Digests.newSha256();
    long offset = 0;
    // The staging file is ours only if it is a plain file: a link planted there (by someone who
    // can write to --out) is removed, never followed, and the download starts over.
    if (resume && Files.isRegularFile(staging, LinkOption.NOFOLLOW_LINKS)) {
      offset = Files.size(staging);
      sha256(staging, offset, digest);
    } else {
      Files.deleteIfExists(staging);
    }
    byte[] prefix = clone(digest).digest();
    channel.send(new GetFile(name, offset, prefix, ifChanged, have));
    // Before it answers, the server hashes the prefix being resumed, or the whole file to compare
    // with ours: allow for reading it (at 64 MiB/s, a slow disk; a minute for an unknown size).
    Duration readTimeout = connection.readTimeout();
    connection.setReadTimeout(readTimeout.plusSeconds((offset >> 26) + (ifChanged ? 60 : 0)));
    SessionMessage reply;
    try {
      reply = receive();
    } finally {
      connection.setReadTimeout(readTimeout);
    }
    if (reply instanceof GetEnd end) {
      return ended(name, end.status() == GetEnd.Status.UNCHANGED ? target : null, end, 0, start);
    }
    if (!(reply instanceof GetReady ready)) {
      throw unexpected(reply, "GET_READY or GET_END");
    }
    if (ready.offset() != offset) {
      if (ready.offset() != 0) {
        throw new ProtocolException(
            Reason.MALFORMED,
            "the server resumed at " + ready.offset() + " where this client holds " + offset);
      }
      digest = Digests.newSha256(); // the staged bytes are of another file: start over
    }
    return receiveFile(name, target, staging, ready, digest, start);
  }

  private DownloadOutcome receiveFile(
      String name, Path target, Path staging, GetReady ready, MessageDigest digest, long start)
      throws IOException {
    long position = ready.offset();
    listener.started(name, ready.size(), position);
    GetEnd end;
    boolean verified;
    try (FileChannel out = openStaging(staging, position)) {
      while (true) {
        SessionMessage message = receive();
        if (message instanceof GetEnd e) {
          end = e;
          break;
        }
        if (!(message instanceof GetData data)) {
          throw unexpected(message, "GET_DATA or GET_END");
        }
        if (data.length() > ready.size() - position) {
          throw new ProtocolException(
              Reason.MALFORMED,
              "the server sent more than the " + ready.size() + " bytes it announced");
        }
        digest.update(data.buffer(), data.offset(), data.length());
        ByteBuffer chunk = ByteBuffer.wrap(data.buffer(), data.offset(), data.length());
        while (chunk.hasRemaining()) {
          out.write(chunk);
        }
        position += data.length();
        listener.advanced(position);
      }
      verified =
          end.status() == GetEnd.Status.SENT
              && position == ready.size()
              && MessageDigest.isEqual(digest.digest(), end.sha256());
      if (verified) {
        out.force(true);
      }
    }
    if (end.status() == GetEnd.Status.SENT && !verified) {
      Files.deleteIfExists(staging);
      return ended(name, null, hashMismatch(ready.size()), ready.offset(), start);
    }
    if (end.status() != GetEnd.Status.SENT) {
      // Changed on the server, or it could not read the file: what is staged cannot be trusted.
      Files.deleteIfExists(staging);
      return ended(name, null, end, ready.offset(), start);
    }
    moveIntoPlace(staging, target, ready.modifiedMillis());
    return ended(name, target, end, ready.offset(), start);
  }

  /** How a transfer whose bytes do not hash to the server's SHA-256 ends. */
  private static GetEnd hashMismatch(long size) {
    return new GetEnd(
        GetEnd.Status.REFUSED,
        size,
        new byte[32],
        "hash-mismatch",
        "what arrived does not have the SHA-256 the server computed; nothing was stored:"
            + " fetch it again");
  }

  /** Gives the verified staging file the server's time and renames it over the target, durably. */
  private static void moveIntoPlace(Path staging, Path target, long modifiedMillis)
      throws IOException {
    Files.setLastModifiedTime(staging, FileTime.fromMillis(modifiedMillis));
    try {
      Files.move(
          staging, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(staging, target, StandardCopyOption.REPLACE_EXISTING);
    }
    forceDirectory(target.toAbsolutePath().getParent());
  }

  private static FileChannel openStaging(Path staging, long position) throws IOException {
    if (position == 0) {
      Files.deleteIfExists(staging);
      Files.createFile(
          staging,
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    }
    FileChannel out =
        FileChannel.open(staging, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
    out.truncate(position);
    out.position(position);
    return out;
  }

  private static void forceDirectory(Path directory) {
    try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
      dir.force(true);
    } catch (IOException e) {
      // Not every file system lets a directory be opened or synced; the rename is done anyway.
    }
  }

  private DownloadOutcome ended(String name, Path file, GetEnd end, long offset, long start) {
    DownloadOutcome.Status status =
        switch (end.status()) {
          case SENT -> DownloadOutcome.Status.FETCHED;
          case UNCHANGED -> DownloadOutcome.Status.UNCHANGED;
          case REFUSED -> DownloadOutcome.Status.REFUSED;
        };
    DownloadOutcome outcome =
        new DownloadOutcome(
            name,
            status,
            file,
            end.size(),
            end.sha256(),
            end.reason(),
            end.text(),
            status == DownloadOutcome.Status.FETCHED ? offset : 0,
            Duration.ofNanos(System.nanoTime() - start));
    listener.ended(outcome);
    return outcome;
  }

  /** SHA-256 of the first {@code length} bytes of {@code file} (all of it if shorter). */
  private byte[] sha256(Path file, long length, MessageDigest digest) throws IOException {
    try (FileChannel in =
        FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      long left = length;
      while (left > 0) {
        buffer.clear().limit((int) Math.min(buffer.capacity(), left));
        int n = in.read(buffer);
        if (n < 0) {
          break;
        }
        digest.update(buffer.array(), 0, n);
        left -= n;
      }
    } catch (NoSuchFileException gone) {
      return new byte[32];
    }
    return clone(digest).digest();
  }

  private static MessageDigest clone(MessageDigest digest) {
    try {
      return (MessageDigest) digest.clone();
    } catch (CloneNotSupportedException e) {
      throw new IllegalStateException("SHA-256 digests cannot be cloned here", e);
    }
  }

  /** The next reply; PINGs are answered, a CLOSE from the server ends the session. */
  private SessionMessage receive() throws IOException {
    while (true) {
      SessionMessage message = channel.receive();
      switch (message) {
        case SessionMessage.Ping ping -> channel.send(new SessionMessage.Pong(ping.token()));
        case SessionMessage.Close close -> throw closed(close);
        default -> {
          return message;
        }
      }
    }
  }

  private static ProtocolException closed(SessionMessage.Close close) {
    return switch (close.code()) {
      case SessionMessage.Close.REVOKED ->
          new ProtocolException(
              Reason.REVOKED_KEY, "the server ended the session: " + close.text());
      case SessionMessage.Close.NOT_PERMITTED ->
          new ProtocolException(Reason.NOT_PERMITTED, close.text());
      case SessionMessage.Close.LOCKED ->
          new ProtocolException(
              Reason.CLONE_SUSPECTED, "the server ended the session: " + close.text());
      default ->
          new ProtocolException(
              Reason.CONNECTION_LOST, "the server closed the session: " + close.text());
    };
  }

  private static ProtocolException unexpected(SessionMessage reply, String expected) {
    return new ProtocolException(
        Reason.MALFORMED, "the server sent " + reply + " where " + expected + " belongs");
  }
}
