package dev.authgate.client.process;

import static org.assertj.core.api.Assertions.assertThat;

import dev.authgate.protocol.keyfile.Credential;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A machine killed with SIGKILL in the middle of rotating its key, twenty times, alternately the
 * Java and the Python client: once its session is verified, at a random moment in the next 0.35 s,
 * while the client holds (test setting {@code AUTHGATE_TEST_ROTATION_PAUSE_MS}) between the
 * server's store of the new key and its own save of it. Each time, the machine's next ping gets in;
 * the id is never locked, nothing is audited as a clone, and the credential file is always whole.
 */
class KillMidRotationProcessIT {
  private static final int ROUNDS = 20;
  private static final long PAUSE_MS = 400;

  @TempDir Path dir;

  @Test
  void aClientKilledBetweenTheServersStoreAndItsOwnSaveAlwaysGetsBackIn() throws Exception {
    Jars.provision(dir, "m1");
    Path credential = dir.resolve("m1.credential");
    // Every login is due to rotate (as in RotationSoakTest): no waiting for the key to age.
    Jars.Server server = Jars.serve(dir, List.of(), Jars.serveArgs("--rotate-every", "1ms"));
    int inTheWindow = 0;
    List<String> rounds = new ArrayList<>();
    try {
      for (int round = 0; round < ROUNDS; round++) {
        boolean java = round % 2 == 0;
        String before = Credential.load(credential).keyId();
        long rotatedBefore = audited("keys.self_rotated");
        killMidSession(server.address(), java);
        Credential after = Credential.load(credential); // whole, whatever the kill cut
        boolean stored = audited("keys.self_rotated") > rotatedBefore;
        if (stored && after.keyId().equals(before)) {
          inTheWindow++; // the server stored a key the client never saved
        }
        rounds.add((java ? "java" : "python") + (stored ? " stored" : "") + " " + after.keyId());

        int next = ping(server.address(), !java);
        assertThat(next).as("round %d: the machine gets back in (%s)", round, rounds).isZero();
      }
    } finally {
      server.process().destroy();
      server.process().waitFor(30, TimeUnit.SECONDS);
    }
    System.out.printf(
        "%d kills, %d between the server's store and the client's save: %s%n",
        ROUNDS, inTheWindow, rounds);
    assertThat(audited("auth.clone-suspected")).as("never taken for a copy").isZero();
    assertThat(Files.readString(dir.resolve("keys/m1.keys"))).doesNotContain("locked");
    assertThat(inTheWindow).as("kills that landed in the window (%s)", rounds).isGreaterThan(4);
  }

  private long audited(String event) throws Exception {
    return Files.readAllLines(dir.resolve("audit.jsonl")).stream()
        .filter(l -> l.contains("\"event\":\"" + event + "\""))
        .count();
  }

  /** A ping, paused before its save, killed at a random moment once its session is verified. */
  private void killMidSession(String address, boolean java) throws Exception {
    List<String> command =
        java
            ? Jars.client(
                List.of(), "ping", "--verbose", "--server", address, "--key", "m1.credential")
            : List.of(
                "python3",
                "-m",
                "authgate",
                "ping",
                "--verbose",
                "--server",
                address,
                "--key",
                "m1.credential");
    ProcessBuilder builder =
        new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
    builder.environment().put("AUTHGATE_TEST_ROTATION_PAUSE_MS", String.valueOf(PAUSE_MS));
    builder.environment().put("PYTHONPATH", PythonClientIT.PROJECT.toString());
    builder.environment().put("PYTHONDONTWRITEBYTECODE", "1");
    Process process = builder.start();
    CountDownLatch verified = new CountDownLatch(1);
    Thread reader =
        Thread.ofVirtual()
            .start(
                () -> {
                  try (BufferedReader lines =
                      new BufferedReader(
                          new InputStreamReader(
                              process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = lines.readLine()) != null; ) {
                      if (line.contains("verified server")) {
                        verified.countDown();
                      }
                    }
                  } catch (java.io.IOException gone) {
                    // killed
                  }
                });
    if (verified.await(60, TimeUnit.SECONDS)) {
      Thread.sleep(ThreadLocalRandom.current().nextLong(PAUSE_MS - 50));
    }
    process.destroyForcibly();
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    reader.join();
  }

  /** A ping to its end, by the Java or the Python client. */
  private int ping(String address, boolean java) throws Exception {
    if (java) {
      return Jars.run(
          dir, Jars.client(List.of(), "ping", "--server", address, "--key", "m1.credential"));
    }
    PythonClientIT.Run run = PythonClientIT.authgate(dir, "ping", address, "m1.credential");
    assertThat(run.err()).doesNotContain("Traceback");
    return run.exit();
  }
}
