package dev.authgate.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.authgate.server.testing.TestServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code auth-client upload}: result lines, exit codes, and what lands on the server. */
class UploadCommandTest {
  @TempDir Path dir;
  TestServer server;
  Path key;

  @BeforeEach
  void start() throws IOException {
    server = TestServer.start(dir.resolve("server"));
    server.provision("sensor-1");
    key = server.credentialFile("sensor-1");
  }

  @AfterEach
  void stop() throws IOException {
    server.close();
  }

  private CliRun upload(String... extra) {
    String[] args = new String[5 + extra.length];
    args[0] = "upload";
    args[1] = "--server";
    args[2] = server.hostPort();
    args[3] = "--key";
    args[4] = key.toString();
    System.arraycopy(extra, 0, args, 5, extra.length);
    return CliRun.client(args);
  }

  private Path file(String name, String content) throws IOException {
    return Files.writeString(dir.resolve(name), content);
  }

  @Test
  void uploadsSeveralFilesOverOneConnectionAndPrintsOneLineEach() throws IOException {
    Path a = file("a.log", "alpha");
    Path b = file("b.log", "bravo");

    CliRun run = upload(a.toString(), b.toString());

    assertThat(run.exit()).isZero();
    assertThat(run.out().lines())
        .hasSize(2)
        .anySatisfy(l -> assertThat(l).startsWith("stored a.log: 5 bytes, sha256 "))
        .anySatisfy(l -> assertThat(l).startsWith("stored b.log: 5 bytes, sha256 "));
    assertThat(Files.readString(dir.resolve("server/uploads/sensor-1/b.log"))).isEqualTo("bravo");
    assertThat(server.awaitEvent("session.closed").path("files_stored").asInt()).isEqualTo(2);
    assertThat(server.events("auth.accepted")).hasSize(1);
  }

  @Test
  void anExistingNameExitsFiveWithTheReasonUnlessOverwriting() throws IOException {
    Path a = file("a.log", "alpha");
    upload(a.toString());
    Files.writeString(a, "alpha two");

    CliRun refused = upload(a.toString());
    assertThat(refused.exit()).isEqualTo(5);
    assertThat(refused.out())
        .isEqualTo(
            "refused a.log: 'a.log' already exists on the server;"
                + " upload with --overwrite to replace it [exists]\n");

    CliRun replaced = upload("--overwrite", a.toString());
    assertThat(replaced.exit()).isZero();
    assertThat(Files.readString(dir.resolve("server/uploads/sensor-1/a.log")))
        .isEqualTo("alpha two");
  }

  @Test
  void oneRefusedFileDoesNotStopTheOthers() throws IOException {
    Path a = file("a.log", "alpha");
    upload(a.toString());
    Path b = file("b.log", "bravo");

    CliRun run = upload(a.toString(), b.toString());

    assertThat(run.exit()).isEqualTo(5);
    assertThat(run.out()).contains("refused a.log").contains("stored b.log");
  }

  @Test
  void aMissingLocalFileFailsBeforeConnecting() {
    CliRun run = upload(dir.resolve("nope.bin").toString());

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).isEqualTo("auth-client: " + dir.resolve("nope.bin") + ": no such file\n");
    assertThat(server.events("auth.accepted")).isEmpty();
  }

  @Test
  void aDirectoryIsNotUploaded() {
    CliRun run = upload(dir.toString());

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).contains("is not a regular file");
  }

  @Test
  void aLocalNameThatIsNotOneSafeComponentIsAUsageError() throws IOException {
    Path odd = file("line\nbreak", "x");

    CliRun run = upload(odd.toString());

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).contains("control character");
  }

  @Test
  void withoutATerminalNoProgressBarIsDrawn() throws IOException {
    CliRun run = upload(file("a.log", "alpha").toString());

    assertThat(run.err()).isEmpty();
  }
}
