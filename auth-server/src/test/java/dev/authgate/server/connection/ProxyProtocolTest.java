package dev.authgate.server.connection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.authgate.protocol.frame.Frame;
import dev.authgate.protocol.frame.FrameType;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.proxy.ProxyHeader;
import dev.authgate.server.defence.Cidr;
import dev.authgate.server.defence.Defences;
import dev.authgate.server.defence.PenaltyPolicy;
import dev.authgate.server.testing.RawClient;
import dev.authgate.server.testing.TestServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Behind a load balancer: connections from a trusted proxy (127.0.0.1 here) begin with a PROXY v2
 * header, and the client it names is the source for penalties, caps and the audit log; other
 * addresses (127.0.0.3 here) connect directly and may not send a header.
 */
class ProxyProtocolTest {
  private static final String DIRECT = "127.0.0.3";

  @TempDir Path dir;
  private TestServer server;
  private Credential sensor;

  @BeforeEach
  void start() throws IOException {
    server =
        TestServer.start(
            dir,
            ServerConfig.loopback(0, dir.resolve("uploads"))
                .withHandshakeTimeout(Duration.ofSeconds(30))
                .withDefences(
                    new Defences(PenaltyPolicy.defaults(), "1000", 4)
                        .withTrustedProxies(List.of(Cidr.parse("127.0.0.1/32")))));
    sensor = server.provision("sensor-1");
  }

  @AfterEach
  void stop() throws IOException {
    server.close();
  }

  private RawClient viaProxy(String client, int port) throws IOException {
    RawClient proxy = RawClient.connect(server.port());
    proxy.send(
        new ProxyHeader(
                ProxyHeader.Command.PROXY,
                new InetSocketAddress(client, port),
                new InetSocketAddress("127.0.0.1", server.port()),
                28)
            .encode());
    return proxy;
  }

  private JsonNode rejection(String remote) {
    return server.awaitEvent("auth.rejected", e -> remote.equals(e.path("remote").asText()));
  }

  @Test
  void theClientTheHeaderNamesIsTheRemoteInTheAuditLogAndTheProxyIsNamedBesideIt()
      throws IOException {
    try (RawClient client = viaProxy("192.0.2.7", 51000)) {
      client.ping(sensor.identity());

      JsonNode accepted = server.awaitEvent("auth.accepted");
      assertThat(accepted.path("remote").asText()).isEqualTo("192.0.2.7:51000");
      assertThat(accepted.path("proxy").asText()).isEqualTo("127.0.0.1:" + client.localPort());
    }
    JsonNode closed = server.awaitEvent("session.closed");
    assertThat(closed.path("remote").asText()).isEqualTo("192.0.2.7:51000");
  }

  @Test
  void anIpv6ClientBehindAnIpv4ProxyIsNamedInItsOwnForm() throws IOException {
    try (RawClient client = viaProxy("2001:db8::7", 40000)) {
      client.ping(sensor.identity());
    }
    assertThat(server.awaitEvent("auth.accepted").path("remote").asText())
        .isEqualTo("[2001:db8::7]:40000");
  }

  @Test
  void failuresPenaliseTheClientBehindTheProxyNeverTheProxyItself() throws IOException {
    for (int i = 0; i < 4; i++) {
      try (RawClient attacker = viaProxy("198.51.100.66", 40000 + i)) {
        catchThrowable(() -> attacker.handshake(RawClient.stranger()));
      }
      assertThat(rejection("198.51.100.66:" + (40000 + i)).path("reason").asText())
          .isEqualTo("unknown-client");
    }

    try (RawClient again = viaProxy("198.51.100.66", 41000)) {
      Frame refused = again.readFrame();
      assertThat(refused.type()).isEqualTo(FrameType.REFUSED);
    }
    JsonNode penalized =
        server.awaitEvent("auth.rejected", e -> e.path("reason").asText().equals("penalized"));
    assertThat(penalized.path("source").asText()).isEqualTo("198.51.100.66/32");
    assertThat(penalized.path("remote").asText()).isEqualTo("198.51.100.66:41000");
    assertThat(penalized.path("detail").asText()).contains("after the PROXY header");
    assertThat(server.server().penalizedSources()).isEqualTo(1);

    // Another client through the same proxy, and the proxy's own health, are unaffected.
    try (RawClient other = viaProxy("192.0.2.7", 51000)) {
      other.ping(sensor.identity());
    }
  }

  @Test
  void aClientOnTheProxysOwnHostIsPenalisedAsTheClientItIs() throws IOException {
    for (int i = 0; i < 4; i++) {
      try (RawClient attacker = viaProxy("127.0.0.1", 40000 + i)) {
        catchThrowable(() -> attacker.handshake(RawClient.stranger()));
      }
      rejection("127.0.0.1:" + (40000 + i));
    }

    try (RawClient again = viaProxy("127.0.0.1", 41000)) {
      assertThat(again.readFrame().type()).isEqualTo(FrameType.REFUSED);
    }
    assertThat(server.server().penalizedSources()).isEqualTo(1);
    try (RawClient other = viaProxy("192.0.2.7", 51000)) {
      other.ping(sensor.identity());
    }
  }

  @Test
  void aTrustedProxyConnectionWithoutAHeaderIsRefusedAndAuditedButNotPenalised()
      throws IOException {
    for (int i = 0; i < 10; i++) {
      try (RawClient noHeader = RawClient.connect(server.port())) {
        // A client that reached the server without the proxy writing a header: it waits for HELLO
        // and sends AUTH, which is not a PROXY header.
        noHeader.send(new byte[] {0x02, 0x00, 0x00, 0x00, 0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
        assertThat(noHeader.readFrame().type()).isEqualTo(FrameType.REFUSED);
      }
    }
    JsonNode rejected = server.awaitEvent("auth.rejected");
    assertThat(rejected.path("reason").asText()).isEqualTo("proxy-header");
    assertThat(rejected.path("detail").asText()).contains("no PROXY protocol v2 signature");
    assertThat(server.server().penalizedSources()).isZero();
    try (RawClient client = viaProxy("192.0.2.7", 51000)) {
      client.ping(sensor.identity());
    }
  }

  @Test
  void aHealthCheckThatClosesWithoutAByteLeavesNoAuditRecord() throws IOException {
    try (RawClient check = RawClient.connect(server.port())) {
      check.shutdownOutput();
      assertThat(check.readToEnd()).isEmpty();
    }
    try (RawClient client = viaProxy("192.0.2.7", 51000)) {
      client.ping(sensor.identity());
    }
    server.awaitEvent("auth.accepted");
    assertThat(server.events("auth.rejected")).isEmpty();
  }

  @Test
  void aLocalHeaderThenAnEndBeforeAuthIsTheProxysHealthCheckAndNotAudited() throws IOException {
    try (RawClient check = RawClient.connect(server.port())) {
      check.send(new ProxyHeader(ProxyHeader.Command.LOCAL, null, null, 16).encode());
      assertThat(check.readFrame().type()).isEqualTo(FrameType.HELLO);
    }
    try (RawClient client = viaProxy("192.0.2.7", 51000)) {
      client.ping(sensor.identity());
    }
    server.awaitEvent("session.closed");
    assertThat(server.events("auth.rejected")).isEmpty();
    assertThat(server.events("auth.accepted")).hasSize(1);
  }

  @Test
  void aLocalHeaderIsForHealthChecksOnly_noClientLogsInOnIt_andNoKeyIsEverTriedOnIt()
      throws IOException {
    try (RawClient local = RawClient.connect(server.port())) {
      local.send(new ProxyHeader(ProxyHeader.Command.LOCAL, null, null, 16).encode());
      assertThatThrownBy(() -> local.ping(sensor.identity())).isInstanceOf(IOException.class);
    }
    JsonNode refused = server.awaitEvent("auth.rejected");
    assertThat(refused.path("reason").asText()).isEqualTo("proxy-header");
    assertThat(refused.path("detail").asText()).contains("health checks");
    for (int i = 0; i < 30; i++) {
      try (RawClient guesser = RawClient.connect(server.port())) {
        guesser.send(new ProxyHeader(ProxyHeader.Command.LOCAL, null, null, 16).encode());
        catchThrowable(() -> guesser.handshake(RawClient.stranger()));
      }
    }
    await().until(() -> server.events("auth.rejected").size() == 31);
    assertThat(server.events("auth.rejected"))
        .as("not one of them got as far as a key being looked up")
        .allSatisfy(e -> assertThat(e.path("reason").asText()).isEqualTo("proxy-header"));
    // The proxy itself is never penalised: its relayed clients still get in.
    try (RawClient other = viaProxy("192.0.2.7", 51000)) {
      other.ping(sensor.identity());
    }
  }

  @Test
  void relayedClientsWithoutAnAddressArePenalisedAsOneSourcePerProxy() throws IOException {
    for (int i = 0; i < 4; i++) {
      try (RawClient unix = RawClient.connect(server.port())) {
        unix.send(new ProxyHeader(ProxyHeader.Command.PROXY, null, null, 16).encode());
        catchThrowable(() -> unix.handshake(RawClient.stranger()));
      }
    }
    await()
        .until(
            () ->
                server.events("auth.rejected").stream()
                        .filter(e -> e.path("reason").asText().equals("unknown-client"))
                        .count()
                    == 4);
    try (RawClient again = RawClient.connect(server.port())) {
      again.send(new ProxyHeader(ProxyHeader.Command.PROXY, null, null, 16).encode());
      assertThat(again.readFrame().type()).isEqualTo(FrameType.REFUSED);
    }
    JsonNode penalized =
        server.awaitEvent("auth.rejected", e -> e.path("reason").asText().equals("penalized"));
    assertThat(penalized.path("source").asText()).isEqualTo("127.0.0.1/32");
    assertThat(penalized.path("remote").asText()).endsWith("(no client address)");

    // Clients the proxy names, and its health checks, are not that source.
    try (RawClient other = viaProxy("192.0.2.7", 51000)) {
      other.ping(sensor.identity());
    }
  }

  @Test
  void aHeaderFromAnAddressThatIsNotATrustedProxyIsRefusedAndPenalisedThere() throws IOException {
    try (RawClient liar = RawClient.connect(server.port(), DIRECT, 0)) {
      assertThat(liar.readFrame().type()).isEqualTo(FrameType.HELLO);
      liar.send(
          new ProxyHeader(
                  ProxyHeader.Command.PROXY,
                  new InetSocketAddress("192.0.2.7", 51000),
                  new InetSocketAddress("127.0.0.1", server.port()),
                  28)
              .encode());
      assertThat(liar.readFrame().type()).isEqualTo(FrameType.REFUSED);
    }
    JsonNode rejected = server.awaitEvent("auth.rejected");
    assertThat(rejected.path("reason").asText()).isEqualTo("proxy-header");
    assertThat(rejected.path("remote").asText()).startsWith(DIRECT + ":");
    assertThat(rejected.path("detail").asText()).contains("not in --trusted-proxies");
    assertThat(rejected.has("proxy")).isFalse();
  }

  @Test
  void directClientsFromOtherAddressesStillConnectAsBefore() throws IOException {
    try (RawClient direct = RawClient.connect(server.port(), DIRECT, 0)) {
      direct.ping(sensor.identity());
    }
    assertThat(server.awaitEvent("auth.accepted").path("remote").asText()).startsWith(DIRECT);
  }

  @Test
  void aSecondHeaderAfterTheFirstIsRefused() throws IOException {
    try (RawClient twice = viaProxy("192.0.2.7", 51000)) {
      assertThat(twice.readFrame().type()).isEqualTo(FrameType.HELLO);
      twice.send(new ProxyHeader(ProxyHeader.Command.LOCAL, null, null, 16).encode());
      assertThat(twice.readFrame().type()).isEqualTo(FrameType.REFUSED);
    }
    assertThat(server.awaitEvent("auth.rejected").path("detail").asText())
        .contains("a second PROXY header");
  }

  @Test
  void thePerSourceHandshakeCapCountsTheClientBehindTheProxy() throws IOException {
    // Four stalled handshakes from one client behind the proxy fill its per-source cap (4); a
    // fifth from it is refused, while another client behind the same proxy gets in.
    List<RawClient> stalled = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < 4; i++) {
        RawClient slow = viaProxy("198.51.100.9", 30000 + i);
        assertThat(slow.readFrame().type()).isEqualTo(FrameType.HELLO);
        stalled.add(slow);
      }
      try (RawClient fifth = viaProxy("198.51.100.9", 30010)) {
        assertThat(fifth.readFrame().type()).isEqualTo(FrameType.REFUSED);
      }
      JsonNode overloaded =
          server.awaitEvent("auth.rejected", e -> e.path("reason").asText().equals("overloaded"));
      assertThat(overloaded.path("source").asText()).isEqualTo("198.51.100.9/32");
      try (RawClient other = viaProxy("192.0.2.7", 51000)) {
        other.ping(sensor.identity());
      }
    } finally {
      for (RawClient slow : stalled) {
        slow.close();
      }
    }
  }

  @Test
  void aHeaderThatDoesNotArriveWithinTheHandshakeDeadlineIsRefusedAsSuch() throws IOException {
    server.close();
    server =
        TestServer.start(
            dir.resolve("slow"),
            ServerConfig.loopback(0, dir.resolve("slow/uploads"))
                .withHandshakeTimeout(Duration.ofMillis(300))
                .withDefences(
                    Defences.relaxed().withTrustedProxies(List.of(Cidr.parse("127.0.0.1")))));
    try (RawClient dripping = RawClient.connect(server.port())) {
      byte[] header =
          new ProxyHeader(
                  ProxyHeader.Command.PROXY,
                  new InetSocketAddress("192.0.2.7", 51000),
                  new InetSocketAddress("127.0.0.1", server.port()),
                  28)
              .encode();
      dripping.send(java.util.Arrays.copyOf(header, 10));
      assertThat(dripping.readFrame().type()).isEqualTo(FrameType.REFUSED);
    }
    JsonNode rejected = server.awaitEvent("auth.rejected");
    assertThat(rejected.path("reason").asText()).isEqualTo("proxy-header");
    assertThat(rejected.path("detail").asText()).contains("no complete PROXY header within 300 ms");
  }
}
