package dev.authgate.client.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.authgate.client.connect.Connector;
import dev.authgate.client.connect.HostKeyTrust;
import dev.authgate.client.connect.ServerAddress;
import dev.authgate.protocol.ProtocolException;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.keyfile.ClientIdentity;
import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.testing.LeakLedger;
import dev.authgate.server.testing.TestServer;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped fail2ban filter against a real audit log: it must match each refused connection, by
 * its real address, and nothing else. Runs when fail2ban-regex is installed (.ci/run tries to
 * install it).
 */
class Fail2banFilterTest {
  @TempDir Path dir;

  @Test
  void theFilterMatchesEveryRefusedConnectionAndNothingElse() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/fail2ban-regex")), "fail2ban not installed");
    Path filter = Path.of("..", "contrib", "fail2ban", "filter.d", "authgate.conf");
    try (TestServer server = TestServer.start(dir.resolve("server"))) {
      Credential good = server.provision("sensor-1");
      ServerAddress address = new ServerAddress("127.0.0.1", server.port());
      new Connector(
              good.identity(), HostKeyTrust.of(good), Duration.ofSeconds(5), RandomSource.secure())
          .connect(address)
          .close();
      for (String id : new String[] {"sensor-1", "nobody", "x\",\"remote\":\"10.9.9.9:1"}) {
        byte[] wrongSecret = RandomSource.secure().bytes(32);
        LeakLedger.sawSecret(wrongSecret);
        Credential wrong = new Credential("sensor-1", "k1", wrongSecret);
        try {
          new Connector(
                  new ClientIdentity(id, "k1", wrong.scramKeys()),
                  HostKeyTrust.of(good),
                  Duration.ofSeconds(5),
                  RandomSource.secure())
              .connect(address)
              .close();
        } catch (ProtocolException expected) {
          // Refused, as it should be.
        }
      }
      try (Socket garbage = new Socket("127.0.0.1", server.port())) {
        garbage
            .getOutputStream()
            .write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        garbage.getInputStream().readAllBytes();
      }
      server.awaitEvent("auth.rejected", e -> e.path("reason").asText().equals("malformed"));

      Process check =
          new ProcessBuilder(
                  "fail2ban-regex",
                  "-o",
                  "ip",
                  server.auditFile().toString(),
                  filter.toAbsolutePath().toString())
              .redirectErrorStream(true)
              .start();
      String output = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(check.waitFor(60, TimeUnit.SECONDS)).isTrue();

      assertThat(output.lines())
          .containsExactly("127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1");
    }
  }
}
