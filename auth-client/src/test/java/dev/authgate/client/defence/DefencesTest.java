package dev.authgate.client.defence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.authgate.client.connect.Connector;
import dev.authgate.client.connect.HostKeyTrust;
import dev.authgate.client.connect.ServerAddress;
import dev.authgate.client.connect.VerifiedConnection;
import dev.authgate.protocol.PenalizedException;
import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.Reason;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.frame.Frame;
import dev.authgate.protocol.frame.FrameCodec;
import dev.authgate.protocol.frame.FrameType;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.testing.LeakLedger;
import dev.authgate.server.connection.ServerConfig;
import dev.authgate.server.defence.Defences;
import dev.authgate.server.defence.PenaltyPolicy;
import dev.authgate.server.testing.TestServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The defences on a dual-stack server: an attacker on 127.0.0.1 and a legitimate machine on ::1 are
 * different sources, so the attacker's penalties and floods never lock the machine out.
 */
@Tag("system")
class DefencesTest {
  /** Three failures refuse a source, and 30 s must pass before it may try again. */
  private static final PenaltyPolicy SLOW_TO_DECAY =
      new PenaltyPolicy(
          Duration.ofSeconds(60),
          Duration.ofSeconds(60),
          Duration.ofSeconds(60),
          Duration.ofSeconds(150),
          Duration.ofMinutes(10),
          32,
          64,
          1000,
          List.of());

  @TempDir Path dir;

  private static ServerConfig dualStack(Path dir, Defences defences, Duration handshakeTimeout)
      throws IOException {
    return ServerConfig.loopback(0, dir.resolve("uploads"))
        .withAddress(InetAddress.getByName("::"), 0)
        .withHandshakeTimeout(handshakeTimeout)
        .withDefences(defences);
  }

  private static Connector connector(Credential credential) {
    return new Connector(
        credential.identity(),
        HostKeyTrust.of(credential),
        Duration.ofSeconds(10),
        RandomSource.secure());
  }

  @Test
  void anAttackerIsPenalisedWhileALegitimateMachineOnAnotherSourceAlwaysGetsIn()
      throws IOException {
    try (TestServer server =
        TestServer.start(
            dir, dualStack(dir, new Defences(SLOW_TO_DECAY, "100"), Duration.ofSeconds(10)))) {
      Credential legit = server.provision("sensor-1");
      byte[] wrongSecret = RandomSource.secure().bytes(32);
      LeakLedger.sawSecret(wrongSecret);
      Credential wrong = new Credential("sensor-1", "k1", wrongSecret, legit.hostKeys());
      ServerAddress v4 = new ServerAddress("127.0.0.1", server.port());
      ServerAddress v6 = new ServerAddress("::1", server.port());
      int refusedAsAuth = 0;
      int refusedAtAccept = 0;
      for (int attempt = 0; attempt < 200; attempt++) {
        try {
          connector(wrong).connect(v4).close();
          throw new AssertionError("a wrong key got in");
        } catch (ProtocolException e) {
          if (e.reason() == Reason.REFUSED) {
            refusedAsAuth++;
          } else if (e instanceof PenalizedException penalized) {
            // 3 × 60 s of penalty, refused above 150 s: at most 30 s left to wait.
            assertThat(penalized.retryAfter())
                .isBetween(Duration.ofSeconds(1), Duration.ofSeconds(30));
            refusedAtAccept++;
          }
        }
        if (attempt % 10 == 0) {
          try (VerifiedConnection c = connector(legit).connect(v6)) {
            assertThat(c.ping()).isPositive();
          }
        }
      }

      assertThat(refusedAsAuth).isEqualTo(3);
      assertThat(refusedAtAccept).isEqualTo(197);
      assertThat(server.events("auth.accepted"))
          .hasSize(20)
          .allSatisfy(e -> assertThat(e.path("remote").asText()).startsWith("[::1]:"));
      assertThat(server.events("auth.rejected"))
          .filteredOn(e -> e.path("reason").asText().equals("penalized"))
          .isNotEmpty() // one per refusal window: more than one when the machine is slow
          .allSatisfy(e -> assertThat(e.path("source").asText()).isEqualTo("127.0.0.1/32"));
    }
  }

  @Test
  void aFloodOfStallingConnectionsIsRefusedFastAndALegitimateClientGetsInOnceTheyAreCut()
      throws Exception {
    try (TestServer server =
        TestServer.start(
            dir,
            dualStack(dir, new Defences(PenaltyPolicy.disabled(), "5"), Duration.ofSeconds(5)))) {
      Credential legit = server.provision("sensor-1");
      List<Socket> stalled = new ArrayList<>();
      int refusedFast = 0;
      try {
        for (int i = 0; i < 20; i++) {
          Socket socket = new Socket("127.0.0.1", server.port());
          socket.setSoTimeout(5000);
          stalled.add(socket);
          Frame first = FrameCodec.read(socket.getInputStream(), FrameCodec.PRE_AUTH_MAX_PAYLOAD);
          if (first.type() == FrameType.REFUSED) {
            assertThat(first.payload()).containsExactly(0x05);
            refusedFast++;
          }
        }
        assertThat(refusedFast).isEqualTo(15);
        // (5 s deadline: all 20 are opened long before the first five are cut, even when busy)
        Awaitility.await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(50))
            .ignoreException(ProtocolException.class)
            .until(
                () -> {
                  try (VerifiedConnection c =
                      connector(legit).connect(new ServerAddress("::1", server.port()))) {
                    return c.ping() != null;
                  }
                });
        Awaitility.await()
            .atMost(Duration.ofSeconds(60))
            .until(
                () ->
                    server.events("auth.rejected").stream()
                            .filter(e -> e.path("reason").asText().equals("handshake-timeout"))
                            .count()
                        == 5);
      } finally {
        for (Socket socket : stalled) {
          socket.close();
        }
      }
      assertThat(server.events("auth.rejected"))
          .filteredOn(e -> e.path("reason").asText().equals("overloaded"))
          .first()
          .satisfies(e -> assertThat(e.path("count").asInt()).isEqualTo(1));
    }
  }
}
