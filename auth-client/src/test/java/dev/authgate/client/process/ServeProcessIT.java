package dev.authgate.client.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code auth-server serve} as a real process: it starts, serves a ping, and stops on SIGTERM. */
class ServeProcessIT {
  @TempDir Path dir;

  @Test
  void sigtermStopsTheServerCleanlyWithExitZeroAndServerStoppedAudited() throws Exception {
    assertThat(
            Jars.run(
                dir,
                Jars.server(
                    List.of(), "keys", "add", "s1", "--keys", "keys", "--out", "s1.credential")))
        .isZero();
    Jars.Server server =
        Jars.serve(
            dir, List.of(), "serve", "--port", "0", "--keys", "keys", "--audit-log", "audit.jsonl");
    assertThat(server.address()).matches("127\\.0\\.0\\.1:\\d+");

    assertThat(
            Jars.run(
                dir,
                Jars.client(
                    List.of(), "ping", "--server", server.address(), "--key", "s1.credential")))
        .isZero();

    server.process().destroy();
    assertThat(server.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(server.process().exitValue()).isZero();
    List<String> audit = Files.readAllLines(dir.resolve("audit.jsonl"));
    assertThat(audit.get(audit.size() - 1)).contains("\"event\":\"server.stopped\"");
    assertThat(audit).anyMatch(l -> l.contains("\"event\":\"auth.accepted\""));
    assertThat(Files.readString(dir.resolve("server.err"))).isEmpty();
  }
}
