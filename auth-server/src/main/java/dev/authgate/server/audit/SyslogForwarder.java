package dev.authgate.server.audit;

import dev.authgate.protocol.text.TerminalText;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends every audit event to a syslog receiver as well as to the audit log it decorates: RFC 5424
 * messages over UDP (RFC 5426) or TCP (RFC 6587 octet counting), facility {@code auth}. The
 * structured data {@code [authgate@32473 …]} carries the event's fields, and the message is the
 * same JSON line the file gets.
 *
 * <p>A slow or dead receiver never blocks a connection: {@link #record} only offers to a bounded
 * queue, and one sender thread does the network I/O, with a deadline on every TCP write and
 * reconnects with backoff. What does not fit in the queue is dropped and counted; the count is
 * reported once per streak on stderr and audited as {@code audit.forward_lost} (to the file) when
 * sending works again.
 *
 * <p>Thread-safe.
 */
public final class SyslogForwarder implements AuditLog, Closeable {
  private static final Logger LOG = LoggerFactory.getLogger("audit");
  private static final DateTimeFormatter TS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  /** {@code auth}: security and authorisation messages, as sshd logs. */
  private static final int FACILITY_AUTH = 4;

  /**
   * RFC 5612's example enterprise number: authgate has none of its own, and an SD-ID without one
   * must be registered with IANA.
   */
  static final String SD_ID = "authgate@32473";

  private static final Duration WRITE_DEADLINE = Duration.ofSeconds(10);
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration LONGEST_BACKOFF = Duration.ofSeconds(30);

  /** Where to send: {@code udp://HOST:PORT} or {@code tcp://HOST:PORT}. */
  public record Target(boolean tcp, String host, int port) {
    /** Parses {@code udp://HOST:PORT} or {@code tcp://HOST:PORT} (port 514 if left out). */
    public static Target parse(String text) {
      URI uri;
      try {
        uri = new URI(text);
      } catch (java.net.URISyntaxException e) {
        throw new IllegalArgumentException(
            "--audit-syslog '" + text + "': use udp://HOST:PORT or tcp://HOST:PORT");
      }
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if (!(scheme.equals("udp") || scheme.equals("tcp")) || uri.getHost() == null) {
        throw new IllegalArgumentException(
            "--audit-syslog '" + text + "': use udp://HOST:PORT or tcp://HOST:PORT");
      }
      String host = uri.getHost();
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      return new Target(scheme.equals("tcp"), host, uri.getPort() < 0 ? 514 : uri.getPort());
    }

    @Override
    public String toString() {
      return (tcp ? "tcp://" : "udp://")
          + (host.contains(":") ? "[" + host + "]" : host)
          + ":"
          + port;
    }
  }

  private final AuditLog file;
  private final Target target;
  private final Clock clock;
  private final String hostname;
  private final String procId;
  private final BlockingQueue<byte[]> queue;
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong sent = new AtomicLong();
  private final Thread sender;
  private final ScheduledExecutorService deadlines;
  private volatile boolean closed;

  /**
   * Events queued or being sent: {@link #close} waits for this, not for an empty queue, so the last
   * event (taken from the queue but not yet sent) is not cut off by the shutdown.
   */
  private final java.util.concurrent.atomic.AtomicInteger unsent =
      new java.util.concurrent.atomic.AtomicInteger();

  private DatagramSocket udp;
  private Socket tcp;
  private boolean failing;

  /**
   * @param file the audit log every event goes to first (and where lost counts are recorded)
   * @param capacity events that may wait to be sent
   */
  public SyslogForwarder(AuditLog file, Target target, String hostname, int capacity, Clock clock) {
    this.file = file;
    this.target = target;
    this.clock = clock;
    this.hostname = headerField(hostname, 255);
    this.procId = Long.toString(ProcessHandle.current().pid());
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.deadlines =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "authgate-syslog-deadline");
              t.setDaemon(true);
              return t;
            });
    this.sender = new Thread(this::sendLoop, "authgate-syslog");
    sender.setDaemon(true);
    sender.start();
  }

  @Override
  public void record(AuditEvent event) {
    event.stamp(clock); // the file and the receiver get the same timestamp
    file.record(event);
    if (closed) {
      return;
    }
    unsent.incrementAndGet();
    if (!queue.offer(message(event))) {
      unsent.decrementAndGet();
      dropped.incrementAndGet();
    }
  }

  /** Events sent so far. */
  public long sent() {
    return sent.get();
  }

  /** Events dropped because the queue was full. */
  public long dropped() {
    return dropped.get();
  }

  /** The RFC 5424 message for {@code event}, without transport framing. */
  byte[] message(AuditEvent event) {
    String ts = TS.format(event.stamp(clock).truncatedTo(ChronoUnit.MILLIS));
    int severity = event.type().severity().code();
    StringBuilder out = new StringBuilder(384);
    out.append('<')
        .append(FACILITY_AUTH * 8 + severity)
        .append(">1 ")
        .append(ts)
        .append(' ')
        .append(hostname)
        .append(" authgate ")
        .append(procId)
        .append(' ')
        .append(headerField(event.name(), 32))
        .append(" [")
        .append(SD_ID);
    for (Map.Entry<String, Object> field : event.fields().entrySet()) {
      String name = sdName(field.getKey());
      if (name.isEmpty()) {
        continue;
      }
      out.append(' ').append(name).append("=\"");
      paramValue(out, String.valueOf(field.getValue()));
      out.append('"');
    }
    out.append("] ");
    // The same JSON line as the file (without its newline): a shipper may take either part.
    String json = JsonLine.render(ts, event);
    out.append(json, 0, json.length() - 1);
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** A header field: printable US-ASCII without spaces, at most {@code max} long, or "-". */
  private static String headerField(String text, int max) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < text.length() && out.length() < max; i++) {
      char c = text.charAt(i);
      if (c > 32 && c < 127) {
        out.append(c);
      }
    }
    return out.isEmpty() ? "-" : out.toString();
  }

  /** An SD-NAME: printable US-ASCII except {@code = ] "} and space, at most 32. */
  private static String sdName(String text) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < text.length() && out.length() < 32; i++) {
      char c = text.charAt(i);
      if (c > 32 && c < 127 && c != '=' && c != ']' && c != '"') {
        out.append(c);
      }
    }
    return out.toString();
  }

  /**
   * A PARAM-VALUE: {@code " \ ]} escaped with a backslash as RFC 5424 requires, and every character
   * that could act on a terminal or end a line escaped as the audit file escapes it.
   */
  private static void paramValue(StringBuilder out, String value) {
    String safe = TerminalText.escape(value.length() > 1024 ? value.substring(0, 1024) : value);
    for (int i = 0; i < safe.length(); i++) {
      char c = safe.charAt(i);
      if (c == '"' || c == '\\' || c == ']') {
        out.append('\\');
      }
      out.append(c);
    }
  }

  private void sendLoop() {
    while (!closed) {
      byte[] message;
      try {
        message = queue.take();
      } catch (InterruptedException e) {
        return;
      }
      try {
        sendOrDrop(message);
      } finally {
        unsent.decrementAndGet();
      }
    }
  }

  /** Sends one message, retrying a TCP receiver with backoff until sent or closed. */
  private void sendOrDrop(byte[] message) {
    while (!closed) {
      try {
        send(message);
        sent.incrementAndGet();
        backoffMillis = 0;
        recovered();
        break;
      } catch (IOException e) {
        closeTransport();
        if (!failing) {
          failing = true;
          LOG.warn(
              "cannot send audit events to syslog {}: {}; retrying, and dropping what does not"
                  + " fit in the queue",
              target,
              e.getMessage());
        }
        if (!target.tcp()) {
          // A datagram that could not be sent is lost like any UDP syslog message.
          dropped.incrementAndGet();
          break;
        }
        backoffMillis =
            Math.min(LONGEST_BACKOFF.toMillis(), backoffMillis == 0 ? 500 : backoffMillis * 2);
        try {
          Thread.sleep(backoffMillis);
        } catch (InterruptedException stop) {
          return;
        }
      }
    }
  }

  private long backoffMillis;

  private long reportedDropped;

  /**
   * After a streak of failures or drops: say how many events the receiver missed, to the file and
   * to the receiver. Runs on the sender thread.
   */
  private void recovered() {
    long lost = dropped.get() - reportedDropped;
    if (!failing && lost == 0) {
      return;
    }
    failing = false;
    reportedDropped += lost;
    LOG.warn("sending audit events to syslog {} again; {} events were dropped", target, lost);
    AuditEvent event =
        AuditEvent.of(AuditEventType.AUDIT_FORWARD_LOST)
            .with("target", target.toString())
            .with("count", lost);
    file.record(event);
    // Sent now, ahead of the queue (which may well be full): the receiver should learn of its gap.
    try {
      send(message(event));
      sent.incrementAndGet();
    } catch (IOException e) {
      closeTransport(); // the next event's send reconnects; the file has the count
    }
  }

  private void send(byte[] message) throws IOException {
    if (target.tcp()) {
      if (tcp == null) {
        Socket socket = new Socket();
        socket.connect(
            new InetSocketAddress(target.host(), target.port()), (int) CONNECT_TIMEOUT.toMillis());
        tcp = socket;
      }
      Socket socket = tcp;
      // The receiver may stop reading: a write blocked past its deadline closes the socket.
      ScheduledFuture<?> deadline =
          deadlines.schedule(
              () -> {
                try {
                  socket.close();
                } catch (IOException ignored) {
                  // closing is all that is wanted
                }
              },
              WRITE_DEADLINE.toMillis(),
              TimeUnit.MILLISECONDS);
      try {
        OutputStream out = socket.getOutputStream();
        out.write((message.length + " ").getBytes(StandardCharsets.US_ASCII));
        out.write(message);
        out.flush();
      } finally {
        deadline.cancel(false);
      }
    } else {
      if (udp == null) {
        udp = new DatagramSocket();
      }
      udp.send(
          new DatagramPacket(
              message, message.length, new InetSocketAddress(target.host(), target.port())));
    }
  }

  private void closeTransport() {
    try {
      if (tcp != null) {
        tcp.close();
      }
    } catch (IOException ignored) {
      // gone either way
    }
    tcp = null;
    if (udp != null) {
      udp.close();
      udp = null;
    }
  }

  /** Sends what is queued for up to {@code grace}, then stops. */
  public void close(Duration grace) {
    long end = System.nanoTime() + grace.toNanos();
    while (unsent.get() > 0 && System.nanoTime() < end && sender.isAlive()) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    closed = true;
    sender.interrupt();
    try {
      sender.join(TimeUnit.SECONDS.toMillis(2));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    deadlines.shutdownNow();
    closeTransport();
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(2));
  }
}
