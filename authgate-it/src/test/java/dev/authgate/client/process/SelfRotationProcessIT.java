package dev.authgate.client.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.authgate.protocol.keyfile.Credential;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code serve --rotate-every 1s} as an operator starts it, and the released clients as machines
 * run them: each rotates on its next session, the Java and the Python client follow each other's
 * rotation of one credential file, a copy of a replaced key locks the id, and no secret the machine
 * ever held appears in any file the server wrote.
 */
class SelfRotationProcessIT {
  @TempDir Path dir;

  private int ping(Jars.Server server, String credential) throws Exception {
    return Jars.run(
        dir,
        Jars.client(
            List.of(),
            "ping",
            "--server",
            server.address(),
            "--key",
            credential,
            "--timeout",
            "30"));
  }

  private static String secretOf(Path credential) throws Exception {
    return Files.readAllLines(credential).stream()
        .filter(l -> l.startsWith("secret "))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void machinesRotateOnTheirNextSession_bothClientsOneFile_andACopyLocksTheId() throws Exception {
    Jars.provision(dir, "m1");
    Path credential = dir.resolve("m1.credential");
    Path copy = dir.resolve("copy.credential");
    Set<String> secrets = new LinkedHashSet<>();
    secrets.add(secretOf(credential));
    Jars.Server server = Jars.serve(dir, List.of(), Jars.serveArgs("--rotate-every", "1s"));
    try {
      // The key was made at provisioning; once it is a second old, the next session rotates it.
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(500))
          .until(
              () -> {
                assertThat(ping(server, "m1.credential")).isZero();
                return !Credential.load(credential).keyId().equals("k1");
              });
      secrets.add(secretOf(credential));
      assertThat(Files.getPosixFilePermissions(credential))
          .containsExactlyInAnyOrder(
              java.nio.file.attribute.PosixFilePermission.OWNER_READ,
              java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);

      // The Python client logs in with what the file holds now (the new key: its first use),
      // and rotates it again when asked; the Java client then follows that rotation.
      for (int i = 0; i < 3; i++) {
        Thread.sleep(1_100);
        if (i == 2) {
          // A copy taken now: replaced by the rotation below, within the few replaced keys a
          // client's file keeps (an older copy is refused as unknown, not recognised).
          Files.copy(credential, copy);
        }
        PythonClientIT.Run python =
            PythonClientIT.authgate(dir, "ping", server.address(), "m1.credential");
        assertThat(python.exit()).as(python.err()).isZero();
        secrets.add(secretOf(credential));
        assertThat(ping(server, "m1.credential")).isZero();
        secrets.add(secretOf(credential));
      }
      assertThat(secrets).as("rotated several times, by both clients").hasSizeGreaterThan(3);

      // The copy: its key was replaced and its successor used.
      int copied = ping(server, "copy.credential");
      assertThat(copied).isEqualTo(3);
      String audit = Files.readString(dir.resolve("audit.jsonl"));
      assertThat(audit).contains("\"event\":\"auth.clone-suspected\"");
      assertThat(audit).contains("\"event\":\"keys.self_rotated\"");
      assertThat(ping(server, "m1.credential")).as("locked: the original too").isEqualTo(3);
      PythonClientIT.Run python =
          PythonClientIT.authgate(dir, "ping", server.address(), "m1.credential");
      assertThat(python.exit()).isEqualTo(3);
      assertThat(python.err()).contains("the server locked m1");
    } finally {
      server.process().destroy();
      server.process().waitFor(30, TimeUnit.SECONDS);
    }

    // No secret the machine held is in anything the server wrote: keys, audit, logs.
    List<Path> serverFiles = new ArrayList<>();
    try (Stream<Path> files = Files.walk(dir)) {
      files
          .filter(Files::isRegularFile)
          .filter(f -> !f.getFileName().toString().contains(".credential"))
          .filter(f -> !f.getFileName().toString().startsWith("out-")) // the clients' own output
          .forEach(serverFiles::add);
    }
    assertThat(serverFiles).anyMatch(f -> f.getFileName().toString().equals("m1.keys"));
    for (Path file : serverFiles) {
      String text = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
      for (String secret : secrets) {
        assertThat(text).as("%s", file).doesNotContain(secret.substring("secret ".length()));
      }
    }
  }
}
