package dev.authgate.server.audit;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Follows a live audit log like {@code tail -F}: starts at the end, hands every new complete line
 * to a sink as it is appended, and reopens the file from its start when it is rotated (replaced) or
 * truncated. A line still being written is held until its newline arrives. Not thread-safe.
 */
public final class AuditFollower {
  /** Longer lines are cut (and then fail to parse): a bound on memory, not a real limit. */
  private static final int MAX_LINE_BYTES = 1 << 20;

  private final Path log;
  private final AuditReader parser = new AuditReader();
  private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
  private FileChannel channel;
  private Object fileKey;
  private long position;

  /** Follows {@code log}. */
  public AuditFollower(Path log) {
    this.log = log;
  }

  /**
   * Polls every {@code interval} until {@code keepGoing} says stop.
   *
   * @throws IOException if the log cannot be read
   */
  public void follow(Consumer<JsonNode> sink, BooleanSupplier keepGoing, Duration interval)
      throws IOException, InterruptedException {
    try {
      start();
      while (keepGoing.getAsBoolean()) {
        poll(sink);
        Thread.sleep(interval.toMillis());
      }
    } finally {
      if (channel != null) {
        channel.close();
      }
    }
  }

  /** Positions at the current end of the log: only lines appended from now on are handed over. */
  void start() throws IOException {
    if (!Files.exists(log)) {
      return;
    }
    open();
    position = channel.size();
  }

  private void open() throws IOException {
    if (channel != null) {
      channel.close();
    }
    channel = FileChannel.open(log, StandardOpenOption.READ);
    fileKey =
        Files.readAttributes(log, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
    position = 0;
    partial.reset();
  }

  /** Reads whatever was appended since the last poll. */
  void poll(Consumer<JsonNode> sink) throws IOException {
    try {
      Object current =
          Files.readAttributes(log, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
      if (channel == null || !Objects.equals(current, fileKey)) {
        if (channel != null) {
          drain(sink);
        }
        open();
      } else if (channel.size() < position) {
        open();
      }
    } catch (NoSuchFileException e) {
      return;
    }
    drain(sink);
  }

  private void drain(Consumer<JsonNode> sink) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
    while (true) {
      buffer.clear();
      int n = channel.read(buffer, position);
      if (n <= 0) {
        return;
      }
      position += n;
      for (int i = 0; i < n; i++) {
        byte b = buffer.get(i);
        if (b == '\n') {
          JsonNode event = parser.parse(partial.toString(StandardCharsets.UTF_8));
          partial.reset();
          if (event != null) {
            sink.accept(event);
          }
        } else if (partial.size() < MAX_LINE_BYTES) {
          partial.write(b);
        }
      }
    }
  }
}
