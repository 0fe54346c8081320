package dev.authgate.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.authgate.protocol.Version;
import dev.authgate.server.cli.ServerCliRun;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code --version} on every command of both programs prints the same version, commit and JDK. */
class VersionTest {
  @Test
  void everyCommandOfBothProgramsPrintsTheSameVersionCommitAndJdk() {
    String expected = Version.describe();
    assertThat(expected)
        .matches("authgate \\S+ \\(commit .+, Java .+\\)")
        .doesNotContain("${")
        .contains(System.getProperty("java.version"));
    for (List<String> command :
        List.of(
            List.of("--version"),
            List.of("ping", "--version"),
            List.of("upload", "--version"),
            List.of("chat", "--version"),
            List.of("bench", "handshake", "--version"))) {
      CliRun run = CliRun.client(command.toArray(String[]::new));
      assertThat(run.exit()).as("auth-client %s", command).isZero();
      assertThat(run.out()).as("auth-client %s", command).isEqualTo(expected + "\n");
    }
    for (List<String> command :
        List.of(
            List.of("--version"),
            List.of("serve", "--version"),
            List.of("keys", "add", "--version"),
            List.of("keys", "reinstate", "--version"),
            List.of("audit", "--version"))) {
      ServerCliRun run = ServerCliRun.server(command.toArray(String[]::new));
      assertThat(run.exit()).as("auth-server %s", command).isZero();
      assertThat(run.out()).as("auth-server %s", command).isEqualTo(expected + "\n");
    }
  }
}
