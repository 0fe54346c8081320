package dev.authgate.client.process;

import static org.assertj.core.api.Assertions.assertThat;

import dev.authgate.server.testing.Ports;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@code serve} process in a test's directory that can be killed with SIGKILL and started again
 * on the same port (one below the ephemeral range), as a server restarted by its supervisor: for
 * clients that must reconnect on their own.
 */
final class SamePortServer {
  private final Path dir;
  private final int port;
  private Process process;

  private SamePortServer(Path dir, int port) {
    this.dir = dir;
    this.port = port;
  }

  /** Starts {@code serve} with keys, audit log and uploads in {@code dir}. */
  static SamePortServer start(Path dir) throws IOException {
    SamePortServer server = new SamePortServer(dir, Ports.belowTheEphemeralRange());
    server.startProcess();
    return server;
  }

  private void startProcess() throws IOException {
    process =
        Jars.serve(
                dir,
                Jars.server(
                    List.of(),
                    "serve",
                    "--port",
                    Integer.toString(port),
                    "--keys",
                    "keys",
                    "--audit-log",
                    "audit.jsonl",
                    "--uploads",
                    "uploads"))
            .process();
  }

  /** {@code 127.0.0.1:PORT}, the same across restarts. */
  String address() {
    return "127.0.0.1:" + port;
  }

  /** SIGKILL, and waits until the process is gone. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
  }

  /** A new process on the same port (after {@link #kill}). */
  void startAgain() throws IOException {
    startProcess();
  }

  /** SIGKILL, then a new process on the same port once the old one is gone. */
  void killAndRestart() throws Exception {
    kill();
    Thread.sleep(300);
    startAgain();
  }

  /** SIGTERM, and waits (up to 30 s) for the process to end. */
  void close() throws InterruptedException {
    process.destroy();
    process.waitFor(30, TimeUnit.SECONDS);
  }
}
