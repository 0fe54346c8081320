package dev.authgate.server.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.authgate.server.testing.Ports;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Audit events to a syslog receiver: RFC 5424 over UDP and TCP, never blocking the server. */
class SyslogForwarderTest {
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-11-23T10:00:00.123Z"), ZoneOffset.UTC);
  private final List<AuditEvent> file = new CopyOnWriteArrayList<>();
  private SyslogForwarder forwarder;

  @AfterEach
  void close() {
    if (forwarder != null) {
      forwarder.close(Duration.ZERO);
    }
  }

  private static AuditEvent rejected() {
    return AuditEvent.of(AuditEventType.AUTH_REJECTED)
        .with("remote", "10.0.0.9:41000")
        .with("client_id", "evil\"] x=\"1\\")
        .with("reason", "bad-proof");
  }

  @Test
  void aMessageIsRfc5424WithTheFieldsAsStructuredDataAndTheJsonLineAsText() {
    forwarder =
        new SyslogForwarder(
            file::add, new SyslogForwarder.Target(false, "127.0.0.1", 9), "gate-1", 10, CLOCK);

    String message = new String(forwarder.message(rejected()), StandardCharsets.UTF_8);

    String pid = Long.toString(ProcessHandle.current().pid());
    assertThat(message)
        .startsWith(
            "<36>1 2026-11-23T10:00:00.123Z gate-1 authgate "
                + pid
                + " auth.rejected [authgate@32473 remote=\"10.0.0.9:41000\""
                + " client_id=\"evil\\\"\\] x=\\\"1\\\\\" reason=\"bad-proof\"] {\"ts\":\"2026-11-23T10:00:00.123Z\",\"event\":\"auth.rejected\"")
        .doesNotContain("\n");
    assertThat(
            new String(
                forwarder.message(AuditEvent.of(AuditEventType.SERVER_STARTED)),
                StandardCharsets.UTF_8))
        .startsWith("<37>1 ");
    assertThat(
            new String(
                forwarder.message(AuditEvent.of(AuditEventType.AUTH_ACCEPTED)),
                StandardCharsets.UTF_8))
        .startsWith("<38>1 ");
  }

  @Test
  void everyEventReachesAUdpReceiverAndTheFile() throws Exception {
    try (DatagramSocket receiver = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      receiver.setSoTimeout(30_000);
      forwarder =
          new SyslogForwarder(
              file::add,
              new SyslogForwarder.Target(false, "127.0.0.1", receiver.getLocalPort()),
              "gate-1",
              100,
              Clock.systemUTC());

      for (int i = 0; i < 20; i++) {
        forwarder.record(AuditEvent.of(AuditEventType.AUTH_ACCEPTED).with("n", i));
      }

      assertThat(file).hasSize(20);
      for (int i = 0; i < 20; i++) {
        DatagramPacket packet = new DatagramPacket(new byte[8192], 8192);
        receiver.receive(packet);
        String text = new String(packet.getData(), 0, packet.getLength(), StandardCharsets.UTF_8);
        assertThat(text).contains(" auth.accepted [authgate@32473 n=\"" + i + "\"]");
      }
    }
  }

  @Test
  void closingRightAfterTheLastEventStillSendsIt() throws Exception {
    // The shutdown's server.stopped is recorded just before close: the sender may have taken it
    // from the queue without having sent it yet, and close must wait for that too.
    try (DatagramSocket receiver = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      receiver.setSoTimeout(30_000);
      for (int round = 0; round < 50; round++) {
        SyslogForwarder shortLived =
            new SyslogForwarder(
                file::add,
                new SyslogForwarder.Target(false, "127.0.0.1", receiver.getLocalPort()),
                "gate-1",
                100,
                Clock.systemUTC());
        shortLived.record(AuditEvent.of(AuditEventType.SERVER_STOPPED).with("round", round));
        shortLived.close(java.time.Duration.ofSeconds(10));

        DatagramPacket packet = new DatagramPacket(new byte[8192], 8192);
        receiver.receive(packet);
        assertThat(new String(packet.getData(), 0, packet.getLength(), StandardCharsets.UTF_8))
            .contains("round=\"" + round + "\"");
      }
    }
  }

  @Test
  void everyEventReachesATcpReceiverOctetCounted() throws Exception {
    try (ServerSocket receiver = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
      forwarder =
          new SyslogForwarder(
              file::add,
              SyslogForwarder.Target.parse("tcp://127.0.0.1:" + receiver.getLocalPort()),
              "gate-1",
              100,
              Clock.systemUTC());
      for (int i = 0; i < 20; i++) {
        forwarder.record(AuditEvent.of(AuditEventType.SESSION_CLOSED).with("n", i));
      }

      receiver.setSoTimeout(30_000);
      try (Socket s = receiver.accept()) {
        s.setSoTimeout(30_000);
        DataInputStream in = new DataInputStream(s.getInputStream());
        for (int i = 0; i < 20; i++) {
          assertThat(frame(in)).contains(" session.closed [authgate@32473 n=\"" + i + "\"]");
        }
      }
    }
  }

  /** One RFC 6587 octet-counted frame: "LEN SP MSG". */
  private static String frame(InputStream in) throws IOException {
    StringBuilder length = new StringBuilder();
    for (int c = in.read(); c != ' '; c = in.read()) {
      assertThat(c)
          .as("a digit of the frame length, after %s", length)
          .isBetween((int) '0', (int) '9');
      length.append((char) c);
    }
    byte[] message = new DataInputStream(in).readNBytes(Integer.parseInt(length.toString()));
    return new String(message, StandardCharsets.UTF_8);
  }

  @Test
  void aDeadReceiverNeverBlocksRecord_overflowIsDroppedThenReportedWhenItIsBack() throws Exception {
    int port = Ports.belowTheEphemeralRange();
    forwarder =
        new SyslogForwarder(
            file::add,
            new SyslogForwarder.Target(true, "127.0.0.1", port),
            "gate-1",
            10,
            Clock.systemUTC());

    // Nobody listens: every record still returns, and goes to the file.
    for (int i = 0; i < 1000; i++) {
      forwarder.record(AuditEvent.of(AuditEventType.AUTH_ACCEPTED).with("n", i));
    }
    assertThat(file).hasSize(1000);
    assertThat(forwarder.dropped()).isGreaterThanOrEqualTo(1000 - 11);

    // The receiver comes up: what waited arrives, and the loss is reported to both.
    BlockingQueue<String> received = new LinkedBlockingQueue<>();
    try (ServerSocket receiver = new ServerSocket()) {
      receiver.setReuseAddress(true);
      receiver.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      Thread reader =
          new Thread(
              () -> {
                try (Socket s = receiver.accept()) {
                  InputStream in = s.getInputStream();
                  while (true) {
                    received.add(frame(in));
                  }
                } catch (IOException | AssertionError ended) {
                  // the test is over
                }
              });
      reader.setDaemon(true);
      reader.start();
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> file.stream().anyMatch(e -> e.name().equals("audit.forward_lost")));
      AuditEvent lost =
          file.stream()
              .filter(e -> e.name().equals("audit.forward_lost"))
              .findFirst()
              .orElseThrow();
      assertThat(((Number) lost.fields().get("count")).longValue()).isEqualTo(forwarder.dropped());
      String report = null;
      for (int i = 0; i < 100 && report == null; i++) {
        String next = received.poll(30, TimeUnit.SECONDS);
        assertThat(next).isNotNull();
        report = next.contains(" audit.forward_lost ") ? next : null;
      }
      assertThat(report).contains("count=\"" + forwarder.dropped() + "\"");
    }
  }

  @Test
  void targetsAreUdpOrTcpUrls() {
    assertThat(SyslogForwarder.Target.parse("udp://logs.example:5514"))
        .isEqualTo(new SyslogForwarder.Target(false, "logs.example", 5514));
    assertThat(SyslogForwarder.Target.parse("tcp://[::1]"))
        .isEqualTo(new SyslogForwarder.Target(true, "::1", 514));
    assertThat(SyslogForwarder.Target.parse("tcp://[::1]").toString()).isEqualTo("tcp://[::1]:514");
    for (String bad : List.of("logs.example:514", "http://x:1", "udp://", "udp:///x")) {
      assertThatThrownBy(() -> SyslogForwarder.Target.parse(bad))
          .as(bad)
          .hasMessageContaining("use udp://HOST:PORT or tcp://HOST:PORT");
    }
  }
}
