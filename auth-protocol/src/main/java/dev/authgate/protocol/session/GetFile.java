package dev.authgate.protocol.session;

import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Client to server: send me a published file. {@code name_len u8 | name | offset u64 |
 * prefix_sha256[32] | flags u8 | have_sha256[32]}. Answered by {@link GetReady}, data and one
 * {@link GetEnd}, or by a {@link GetEnd} alone.
 *
 * <p>{@code offset} &gt; 0 asks to resume: the client holds the file's first {@code offset} bytes,
 * whose SHA-256 is {@code prefixSha256}; the server sends from there only if its own first {@code
 * offset} bytes have that hash, else from 0. With flag bit 0 ({@link #IF_CHANGED}), {@code
 * haveSha256} is the SHA-256 of the client's current copy, and the server sends nothing if its file
 * has the same hash.
 *
 * @param name the file's name
 * @param offset how much the client already holds
 * @param prefixSha256 SHA-256 of those bytes (of nothing when {@code offset} is 0)
 * @param ifChanged whether to skip a file whose hash is {@code haveSha256}
 * @param haveSha256 the client's copy's SHA-256 (zeros unless {@code ifChanged})
 */
public record GetFile(
    String name, long offset, byte[] prefixSha256, boolean ifChanged, byte[] haveSha256)
    implements SessionMessage {
  static final byte TYPE = 0x52;

  /** Flag bit 0: send nothing if the file's SHA-256 is {@code haveSha256}. */
  public static final int IF_CHANGED = 0x01;

  /** Checks the layout's limits. */
  public GetFile {
    if (prefixSha256.length != 32 || haveSha256.length != 32) {
      throw new IllegalArgumentException("a SHA-256 is 32 bytes");
    }
    if (name.getBytes(StandardCharsets.UTF_8).length > 255) {
      throw new IllegalArgumentException("a name is at most 255 bytes");
    }
    if (offset < 0) {
      throw new IllegalArgumentException("the offset cannot be negative");
    }
  }

  @Override
  public int type() {
    return TYPE;
  }

  @Override
  public byte[] body() {
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(1 + n.length + 8 + 32 + 1 + 32)
        .put((byte) n.length)
        .put(n)
        .putLong(offset)
        .put(prefixSha256)
        .put((byte) (ifChanged ? IF_CHANGED : 0))
        .put(haveSha256)
        .array();
  }

  static GetFile decode(BodyReader in) throws ProtocolException {
    String name = in.utf8(in.u8());
    long offset = in.u64();
    byte[] prefix = in.bytes(32);
    int flags = in.u8();
    byte[] have = in.bytes(32);
    in.end();
    if (offset < 0) {
      throw new ProtocolException(Reason.MALFORMED, "GET_FILE offset is negative");
    }
    if ((flags & ~IF_CHANGED) != 0) {
      throw new ProtocolException(
          Reason.MALFORMED, String.format("GET_FILE has unknown flags 0x%02x", flags));
    }
    return new GetFile(name, offset, prefix, (flags & IF_CHANGED) != 0, have);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof GetFile g
        && g.name.equals(name)
        && g.offset == offset
        && Arrays.equals(g.prefixSha256, prefixSha256)
        && g.ifChanged == ifChanged
        && Arrays.equals(g.haveSha256, haveSha256);
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Long.hashCode(offset);
  }

  @Override
  public String toString() {
    return "GetFile[" + name + ", offset=" + offset + (ifChanged ? ", if-changed" : "") + "]";
  }
}
