package dev.authgate.protocol.session;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Server to client: part of the answer to {@link ListFiles}. {@code more u8 | count u16 | count ×
 * (name_len u8 | name | size u64 | mtime_ms u64 | sha256[32] | shared u8)}, at most {@link
 * #MAX_ENTRIES} entries; {@code more} is 1 when another listing follows.
 *
 * @param more whether another listing follows
 * @param entries the files in this part
 */
public record FileListing(boolean more, List<Entry> entries) implements SessionMessage {
  static final byte TYPE = 0x51;

  /** The most entries in one listing: with 255-byte names, about 76 KiB. */
  public static final int MAX_ENTRIES = 256;

  /**
   * One file a client may fetch.
   *
   * @param name its name (the upload name rules)
   * @param size its size in bytes
   * @param modifiedMillis its modification time, in milliseconds since the epoch
   * @param sha256 its SHA-256
   * @param shared whether it is published for every client ({@code _all}) rather than this one
   */
  public record Entry(String name, long size, long modifiedMillis, byte[] sha256, boolean shared) {
    /** Checks the fields fit the layout. */
    public Entry {
      if (sha256.length != 32) {
        throw new IllegalArgumentException("a SHA-256 is 32 bytes");
      }
      if (name.getBytes(StandardCharsets.UTF_8).length > 255) {
        throw new IllegalArgumentException("a name is at most 255 bytes");
      }
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Entry e
          && e.name.equals(name)
          && e.size == size
          && e.modifiedMillis == modifiedMillis
          && Arrays.equals(e.sha256, sha256)
          && e.shared == shared;
    }

    @Override
    public int hashCode() {
      return name.hashCode() * 31 + Long.hashCode(size);
    }

    @Override
    public String toString() {
      return "Entry[" + name + ", " + size + " bytes]";
    }
  }

  /** Copies the entries; at most {@link #MAX_ENTRIES}. */
  public FileListing {
    entries = List.copyOf(entries);
    if (entries.size() > MAX_ENTRIES) {
      throw new IllegalArgumentException("at most " + MAX_ENTRIES + " entries per listing");
    }
  }

  @Override
  public int type() {
    return TYPE;
  }

  @Override
  public byte[] body() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(3 + entries.size() * 64);
    out.write(more ? 1 : 0);
    out.write(entries.size() >>> 8);
    out.write(entries.size());
    for (Entry entry : entries) {
      byte[] name = entry.name().getBytes(StandardCharsets.UTF_8);
      out.write(name.length);
      out.writeBytes(name);
      out.writeBytes(
          ByteBuffer.allocate(16).putLong(entry.size()).putLong(entry.modifiedMillis()).array());
      out.writeBytes(entry.sha256());
      out.write(entry.shared() ? 1 : 0);
    }
    return out.toByteArray();
  }

  static FileListing decode(BodyReader in) throws ProtocolException {
    boolean more = flag(in, "more");
    int count = in.u16();
    if (count > MAX_ENTRIES) {
      throw new ProtocolException(
          Reason.MALFORMED, "FILE_LISTING has " + count + " entries; at most " + MAX_ENTRIES);
    }
    List<Entry> entries = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      String name = in.utf8(in.u8());
      String problem = UploadNames.problem(name);
      if (problem != null) {
        throw new ProtocolException(Reason.MALFORMED, "FILE_LISTING name: " + problem);
      }
      long size = in.u64();
      long modified = in.u64();
      byte[] sha256 = in.bytes(32);
      boolean shared = flag(in, "shared");
      if (size < 0) {
        throw new ProtocolException(Reason.MALFORMED, "FILE_LISTING size is negative");
      }
      entries.add(new Entry(name, size, modified, sha256, shared));
    }
    in.end();
    return new FileListing(more, entries);
  }

  private static boolean flag(BodyReader in, String what) throws ProtocolException {
    int flag = in.u8();
    if (flag > 1) {
      throw new ProtocolException(
          Reason.MALFORMED, "FILE_LISTING " + what + " is " + flag + ", not 0 or 1");
    }
    return flag == 1;
  }
}
