package dev.authgate.client.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code serve --audit-syslog} and {@code --audit-log -} as real processes: every audit event
 * reaches the receiver as well as the log, and a receiver that goes away never stops the server.
 */
class AuditForwardingProcessIT {
  @TempDir Path dir;

  private int ping(String address, Path cwd) throws Exception {
    return Jars.run(
        cwd, Jars.client(List.of(), "ping", "--server", address, "--key", "sensor-1.credential"));
  }

  @Test
  void everyAuditEventReachesAUdpSyslogReceiverToo() throws Exception {
    Jars.provision(dir, "sensor-1");
    Path impostor = Files.createDirectory(dir.resolve("impostor"));
    Jars.provisionImpostor(dir, impostor, "sensor-1");
    List<String> received = new ArrayList<>();
    try (DatagramSocket receiver = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      Jars.Server server =
          Jars.serve(
              dir,
              List.of(),
              Jars.serveArgs("--audit-syslog", "udp://127.0.0.1:" + receiver.getLocalPort()));
      assertThat(ping(server.address(), dir)).isZero();
      assertThat(ping(server.address(), impostor)).isEqualTo(3);
      server.process().destroy();
      assertThat(server.process().waitFor(30, TimeUnit.SECONDS)).isTrue();

      receiver.setSoTimeout(2_000);
      try {
        while (true) {
          DatagramPacket packet = new DatagramPacket(new byte[65536], 65536);
          receiver.receive(packet);
          received.add(new String(packet.getData(), 0, packet.getLength(), StandardCharsets.UTF_8));
        }
      } catch (SocketTimeoutException drained) {
        // every datagram sent has arrived (loopback does not lose them under this load)
      }
    }
    List<String> audit = Files.readAllLines(dir.resolve("audit.jsonl"));
    assertThat(audit).anyMatch(l -> l.contains("\"event\":\"auth.rejected\""));
    assertThat(audit).last().asString().contains("\"event\":\"server.stopped\"");
    // Each file line is the text part of one syslog message, in the same order.
    List<String> texts = received.stream().map(m -> m.substring(m.indexOf("] {") + 2)).toList();
    assertThat(texts).containsExactlyElementsOf(audit);
    assertThat(received)
        .anyMatch(m -> m.startsWith("<36>1 ") && m.contains(" auth.rejected [authgate@32473 "));
  }

  @Test
  void aTcpReceiverThatGoesAwayNeverStopsTheServer() throws Exception {
    Jars.provision(dir, "sensor-1");
    ServerSocket receiver = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
    Jars.Server server =
        Jars.serve(
            dir,
            List.of(),
            Jars.serveArgs("--audit-syslog", "tcp://127.0.0.1:" + receiver.getLocalPort()));
    try {
      receiver.setSoTimeout(30_000);
      try (Socket s = receiver.accept()) {
        s.setSoTimeout(30_000);
        BufferedReader in =
            new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
        // Read (bounded) until the first event has arrived, however the bytes are split.
        StringBuilder heard = new StringBuilder();
        char[] buffer = new char[512];
        while (!heard.toString().contains("server.started") && heard.length() < 65536) {
          int n = in.read(buffer);
          assertThat(n).as("the receiver got: %s", heard).isPositive();
          heard.append(buffer, 0, n);
        }
      }
      receiver.close(); // gone: nothing listens any more

      for (int i = 0; i < 3; i++) {
        assertThat(ping(server.address(), dir)).isZero();
      }
      assertThat(Files.readString(dir.resolve("audit.jsonl")).split("auth.accepted", -1))
          .hasSize(4);
    } finally {
      server.process().destroy();
      server.process().waitFor(30, TimeUnit.SECONDS);
    }
    assertThat(Files.readString(dir.resolve("server.err")))
        .contains("cannot send audit events to syslog tcp://127.0.0.1:");
  }

  @Test
  void withTheAuditLogOnStdoutStdoutIsJsonLinesOnly() throws Exception {
    Jars.provision(dir, "sensor-1");
    Process serve =
        new ProcessBuilder(
                Jars.server(
                    List.of(), "serve", "--port", "0", "--keys", "keys", "--audit-log", "-"))
            .directory(dir.toFile())
            .redirectError(dir.resolve("server.err").toFile())
            .start();
    try {
      BufferedReader out =
          new BufferedReader(new InputStreamReader(serve.getInputStream(), StandardCharsets.UTF_8));
      String first = out.readLine();
      assertThat(first).startsWith("{\"ts\":\"").contains("\"event\":\"server.started\"");
      String listen = first.replaceAll(".*\"listen\":\"([^\"]+)\".*", "$1");
      assertThat(ping(listen, dir)).isZero();
      List<String> lines = new ArrayList<>();
      while (lines.stream().noneMatch(l -> l.contains("\"event\":\"session.closed\""))) {
        String line = out.readLine();
        assertThat(line).as("stdout ended early").isNotNull();
        lines.add(line);
      }
      assertThat(lines).allMatch(l -> l.startsWith("{\"ts\":\""));
      assertThat(Files.readString(dir.resolve("server.err"))).contains("listening on " + listen);
      assertThat(dir.resolve("logs")).doesNotExist();
    } finally {
      serve.destroy();
      serve.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
