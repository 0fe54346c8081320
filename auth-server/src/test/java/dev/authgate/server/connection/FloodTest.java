package dev.authgate.server.connection;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.frame.Frame;
import dev.authgate.protocol.frame.FrameType;
import dev.authgate.protocol.handshake.ClientHandshake;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.session.SecureChannel;
import dev.authgate.protocol.session.SessionMessage;
import dev.authgate.protocol.session.UploadBegin;
import dev.authgate.protocol.session.UploadResult;
import dev.authgate.server.defence.Defences;
import dev.authgate.server.defence.PenaltyPolicy;
import dev.authgate.server.testing.RawClient;
import dev.authgate.server.testing.TestServer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Floods and hoarding from one source or one client never shut the others out. */
class FloodTest {
  @TempDir Path dir;

  @Test
  void duringTwoHundredSlowlorisHandshakesFromOneSourceAnotherSourceGetsInEveryTime()
      throws IOException {
    ServerConfig config =
        ServerConfig.loopback(0, dir.resolve("uploads"))
            .withHandshakeTimeout(Duration.ofMinutes(2))
            .withDefences(
                new Defences(
                    PenaltyPolicy.disabled(),
                    Defences.DEFAULT_MAX_STARTUPS,
                    Defences.DEFAULT_PER_SOURCE_MAX_STARTUPS));
    List<RawClient> slowloris = new ArrayList<>();
    try (TestServer server = TestServer.start(dir, config)) {
      Credential legit = server.provision("sensor-1");
      int refusedAtAccept = 0;
      for (int i = 0; i < 200; i++) {
        RawClient attacker = RawClient.connect(server.port(), "127.0.0.2", 0);
        slowloris.add(attacker);
        // Half a frame header, then nothing: the handshake stays open until its deadline.
        attacker.send(new byte[] {0x02, 0x00});
        Frame first = attacker.readFrame();
        refusedAtAccept += first.type() == FrameType.REFUSED ? 1 : 0;
      }
      for (int i = 0; i < 20; i++) {
        try (RawClient client = RawClient.connect(server.port())) {
          SecureChannel channel = client.handshake(legit.identity());
          channel.send(new SessionMessage.Ping(i));
          assertThat(channel.receive()).isEqualTo(new SessionMessage.Pong(i));
        }
      }

      assertThat(refusedAtAccept).isEqualTo(200 - Defences.DEFAULT_PER_SOURCE_MAX_STARTUPS);
      JsonNode refused =
          server.awaitEvent("auth.rejected", e -> e.path("reason").asText().equals("overloaded"));
      assertThat(refused.path("source").asText()).isEqualTo("127.0.0.2/32");
      assertThat(refused.path("detail").asText()).contains("per-source-max-startups");
      assertThat(server.events("auth.accepted")).hasSize(20);
    } finally {
      for (RawClient attacker : slowloris) {
        attacker.close();
      }
    }
  }

  @Test
  void sessionsOverTheCapsAreRefusedWithTheirOwnReasonAndTheRestGetIn() throws IOException {
    ServerConfig config =
        ServerConfig.loopback(0, dir.resolve("uploads"))
            .withSessions(new SessionLimits(3, 2, Duration.ofSeconds(30)));
    try (TestServer server = TestServer.start(dir, config)) {
      Credential hoarder = server.provision("hoarder");
      Credential other = server.provision("other");
      Credential late = server.provision("late");
      try (RawClient first = RawClient.connect(server.port());
          RawClient second = RawClient.connect(server.port())) {
        first.handshake(hoarder.identity());
        second.handshake(hoarder.identity());

        assertThat(refusalCode(server, hoarder)).isEqualTo(0x05);
        try (RawClient third = RawClient.connect(server.port())) {
          third.handshake(other.identity());
          assertThat(refusalCode(server, late)).isEqualTo(0x05);
        }
      }
      List<JsonNode> refused =
          org.awaitility.Awaitility.await()
              .atMost(Duration.ofSeconds(60))
              .until(
                  () ->
                      server.events("auth.rejected").stream()
                          .filter(e -> e.path("reason").asText().equals("session-limit"))
                          .toList(),
                  l -> l.size() == 2);
      // Each is audited after its REFUSED frame went out: in either order.
      assertThat(refused)
          .extracting(
              e ->
                  e.path("client_id").asText()
                      + " "
                      + e.path("detail").asText().contains("--max-sessions-per-client"))
          .containsExactlyInAnyOrder("hoarder true", "late false");

      server.awaitEvent("session.closed", e -> e.path("client_id").asText().equals("other"));
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> server.server().verifiedSessions() == 0);
      try (RawClient again = RawClient.connect(server.port())) {
        again.handshake(hoarder.identity());
      }
    }
  }

  private static int refusalCode(TestServer server, Credential credential) throws IOException {
    try (RawClient client = RawClient.connect(server.port())) {
      ClientHandshake handshake =
          new ClientHandshake(credential.identity(), RawClient.ANY_HOST_KEY, RandomSource.secure());
      client.send(handshake.onHello(client.readFrame()));
      Frame answer = client.readFrame();
      assertThat(answer.type()).isEqualTo(FrameType.REFUSED);
      return answer.payload()[0] & 0xff;
    }
  }

  @Test
  void aClientLoopingOnRefusedUploadsIsAnsweredEveryTimeButAuditedOnlyWhileItsBudgetLasts()
      throws IOException {
    try (TestServer server = TestServer.start(dir)) {
      Credential sensor = server.provision("sensor-1");
      long auditBefore = java.nio.file.Files.size(server.auditFile());
      try (RawClient client = RawClient.connect(server.port())) {
        SecureChannel channel = client.handshake(sensor.identity());
        for (int i = 0; i < 500; i++) {
          // a name the server refuses: answered, and the session carries on
          channel.send(new UploadBegin("../x" + i, 1, false, false));
          SessionMessage reply = channel.receive();
          assertThat(reply).isInstanceOf(UploadResult.class);
          assertThat(((UploadResult) reply).stored()).isFalse();
        }
        channel.send(new SessionMessage.Close(SessionMessage.Close.NORMAL, ""));
      }
      JsonNode closed = server.awaitEvent("session.closed");
      assertThat(closed.path("outcome").asText()).isEqualTo("closed");
      assertThat(closed.path("files_failed").asInt()).isEqualTo(500);
      long audited = server.events("upload.failed").size();
      assertThat(audited).isLessThan(500).isGreaterThanOrEqualTo(100);
      assertThat(closed.path("refusals_not_audited").asLong()).isEqualTo(500 - audited);
      System.out.printf(
          "500 refused uploads in one session: %d audited, %d audit bytes%n",
          audited, java.nio.file.Files.size(server.auditFile()) - auditBefore);
    }
  }
}
