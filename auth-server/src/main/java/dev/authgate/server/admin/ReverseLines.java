package dev.authgate.server.admin;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;

/**
 * A file's lines, last first: the newest page of a long audit log without reading the rest. Reads
 * the file as it was when opened, 64 KiB at a time from its end; a line longer than {@link
 * #MAX_LINE} is skipped (and counted), so a damaged file cannot make it hold more. Not thread-safe.
 */
final class ReverseLines implements Closeable {
  static final int CHUNK = 64 * 1024;

  /** The longest line kept; an audit line is far shorter. */
  static final int MAX_LINE = 1024 * 1024;

  private final FileChannel channel;
  private long position;
  private byte[] carry = new byte[0];
  private boolean carryTooLong;
  private final Deque<String> ready = new ArrayDeque<>();
  private long skipped;

  ReverseLines(Path file) throws IOException {
    channel = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
    position = channel.size();
  }

  /** The next line toward the start of the file, or null at its start. */
  String next() throws IOException {
    while (ready.isEmpty()) {
      if (position == 0) {
        if (carry.length == 0 || carryTooLong) {
          skipped += carryTooLong ? 1 : 0;
          carryTooLong = false;
          carry = new byte[0];
          return null;
        }
        String first = new String(carry, StandardCharsets.UTF_8);
        carry = new byte[0];
        return first;
      }
      readChunk();
    }
    return ready.poll();
  }

  /** Lines skipped as longer than {@link #MAX_LINE}. */
  long skipped() {
    return skipped;
  }

  private void readChunk() throws IOException {
    int n = (int) Math.min(CHUNK, position);
    position -= n;
    ByteBuffer buffer = ByteBuffer.allocate(n);
    while (buffer.hasRemaining()) {
      if (channel.read(buffer, position + buffer.position()) < 0) {
        throw new IOException("the file shrank while it was read");
      }
    }
    byte[] chunk = buffer.array();
    int firstBreak = -1;
    for (int i = 0; i < n; i++) {
      if (chunk[i] == '\n') {
        firstBreak = i;
        break;
      }
    }
    if (firstBreak < 0) {
      // All of it belongs to one line that started earlier.
      prependToCarry(chunk, n);
      return;
    }
    List<String> lines = new ArrayList<>();
    int start = firstBreak + 1;
    for (int i = start; i < n; i++) {
      if (chunk[i] == '\n') {
        lines.add(new String(chunk, start, i - start, StandardCharsets.UTF_8));
        start = i + 1;
      }
    }
    // The rest of this chunk starts the line the carry continues.
    byte[] tail = Arrays.copyOfRange(chunk, start, n);
    String last = join(tail);
    if (last != null) {
      lines.add(last);
    }
    for (int i = lines.size() - 1; i >= 0; i--) {
      if (!lines.get(i).isEmpty()) {
        ready.addLast(lines.get(i));
      }
    }
    carry = new byte[0];
    carryTooLong = false;
    prependToCarry(Arrays.copyOfRange(chunk, 0, firstBreak), firstBreak);
  }

  /** {@code head} followed by the carry, as one line; null if it was too long (then skipped). */
  private String join(byte[] head) {
    if (carryTooLong) {
      skipped++;
      return null;
    }
    if (head.length + carry.length > MAX_LINE) {
      skipped++;
      return null;
    }
    byte[] line = new byte[head.length + carry.length];
    System.arraycopy(head, 0, line, 0, head.length);
    System.arraycopy(carry, 0, line, head.length, carry.length);
    return new String(line, StandardCharsets.UTF_8);
  }

  private void prependToCarry(byte[] bytes, int length) {
    if (carryTooLong || carry.length + length > MAX_LINE) {
      carryTooLong = true;
      carry = new byte[0];
      return;
    }
    byte[] joined = new byte[length + carry.length];
    System.arraycopy(bytes, 0, joined, 0, length);
    System.arraycopy(carry, 0, joined, length, carry.length);
    carry = joined;
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
