package dev.authgate.client.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.authgate.server.cli.ServerCliRun;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code auth-client credential show}: what a credential holds, as the server knows it. */
class CredentialShowTest {
  @TempDir Path dir;

  @Test
  void itShowsTheIdsTheFingerprintTheServerListsThePinsAndTheModeButNeverTheSecret()
      throws Exception {
    Path keys = dir.resolve("keys");
    Path file = dir.resolve("sensor-1.credential");
    ServerCliRun.server("keys", "init", "--keys", keys.toString());
    ServerCliRun.server(
        "keys", "add", "sensor-1", "--keys", keys.toString(), "--out", file.toString());
    String listed = ServerCliRun.server("keys", "list", "--long", "--keys", keys.toString()).out();
    String secret =
        Files.readAllLines(file).stream()
            .filter(l -> l.startsWith("secret "))
            .findFirst()
            .orElseThrow()
            .substring("secret ".length());

    CliRun show = CliRun.client("credential", "show", file.toString());

    assertThat(show.exit()).as(show.err()).isZero();
    String[] lines = show.out().split("\n");
    assertThat(lines[0]).isEqualTo("client-id  sensor-1");
    assertThat(lines[1]).isEqualTo("key-id     k1");
    String fingerprint = lines[2].split(" +")[1];
    assertThat(listed).contains(fingerprint); // the very fingerprint keys list shows for it
    assertThat(lines[3]).startsWith("host-key   SHA256:").endsWith(" (pinned)");
    assertThat(lines[4])
        .isEqualTo(
            "file       " + file + ", owned by " + System.getProperty("user.name") + ", mode 0600");
    assertThat(show.out() + show.err()).doesNotContain(secret);
  }

  @Test
  void withoutAFileItIsAUsageError() {
    assumeTrue(System.getenv("AUTHGATE_KEY") == null, "AUTHGATE_KEY names a credential here");
    CliRun show = CliRun.client("credential", "show");

    assertThat(show.exit()).isEqualTo(2);
    assertThat(show.err()).startsWith("auth-client: no credential: give FILE or set AUTHGATE_KEY");
  }
}
