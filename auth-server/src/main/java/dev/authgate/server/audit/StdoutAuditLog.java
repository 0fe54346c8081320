package dev.authgate.server.audit;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The audit log as JSON lines on stdout ({@code --audit-log -}), for journald or a container
 * runtime to keep: the same lines as the file, one write each, never interleaved. No rotation (the
 * collector rotates). Thread-safe.
 */
public final class StdoutAuditLog implements AuditFile {
  private static final DateTimeFormatter TS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private final PrintStream out;
  private final Clock clock;
  private final AtomicLong lost = new AtomicLong();

  public StdoutAuditLog(PrintStream out, Clock clock) {
    this.out = out;
    this.clock = clock;
  }

  @Override
  public void record(AuditEvent event) {
    byte[] line =
        JsonLine.render(TS.format(event.stamp(clock).truncatedTo(ChronoUnit.MILLIS)), event)
            .getBytes(StandardCharsets.UTF_8);
    synchronized (out) {
      out.write(line, 0, line.length);
      out.flush();
      if (out.checkError()) {
        lost.incrementAndGet();
      }
    }
  }

  @Override
  public long lostEvents() {
    return lost.get();
  }

  @Override
  public void close() {
    out.flush();
  }
}
