package dev.authgate.client.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code serve --on-upload}: the hook sees each verified file once, complete, in its final place —
 * never a partial, not even of an upload that was cut and resumed — and a hook that fails or hangs
 * changes nothing for the uploads.
 */
class UploadHookProcessIT {
  @TempDir Path dir;

  private Path hook(String body) throws Exception {
    Path script = dir.resolve("hook.sh");
    Files.writeString(script, "#!/bin/sh\n" + body + "\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
    return script;
  }

  private int upload(Jars.Server server, String... files) throws Exception {
    List<String> args =
        new java.util.ArrayList<>(
            List.of("upload", "--server", server.address(), "--key", "sensor-1.credential"));
    args.addAll(List.of(files));
    return Jars.run(dir, Jars.client(List.of(), args.toArray(String[]::new)));
  }

  @Test
  void theHookSeesEachStoredFileOnceCompleteAndInPlace() throws Exception {
    Jars.provision(dir, "sensor-1");
    Path seen = dir.resolve("seen.log");
    // The hook checks the file itself: its SHA-256 now must be the one it was told.
    Path hook =
        hook("echo \"$AUTHGATE_NAME $(sha256sum < \"$2\" | cut -d' ' -f1) $5 $4\" >> " + seen);
    Files.write(dir.resolve("a.bin"), new byte[3 << 20]);
    Files.writeString(dir.resolve("b.txt"), "hello hook\n");
    Jars.Server server =
        Jars.serve(
            dir, List.of(), Jars.serveArgs("--uploads", "uploads", "--on-upload", hook.toString()));
    try {
      assertThat(upload(server, "a.bin", "b.txt")).isZero();
      Awaitility.await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> Files.exists(seen) && Files.readAllLines(seen).size() == 2);
      for (String line : Files.readAllLines(seen)) {
        String[] f = line.split(" ");
        assertThat(f[1])
            .as("the file's SHA-256 when the hook ran equals the verified one")
            .isEqualTo(f[2]);
        assertThat(Long.parseLong(f[3])).isEqualTo(Files.size(dir.resolve(f[0])));
      }
      Awaitility.await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  Files.readString(dir.resolve("audit.jsonl"))
                          .split("\"event\":\"upload.hook\"", -1)
                          .length
                      == 3);
      assertThat(Files.readString(dir.resolve("audit.jsonl")))
          .contains("\"outcome\":\"ok\",\"exit\":0");
    } finally {
      server.process().destroy();
      server.process().waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void aCutAndResumedUploadFiresTheHookOnceAtTheEnd_andAFailingHookChangesNothing()
      throws Exception {
    Jars.provision(dir, "sensor-1");
    Path seen = dir.resolve("seen.log");
    Path hook =
        hook(
            "echo \"$AUTHGATE_NAME $(sha256sum < \"$2\" | cut -d' ' -f1) $5\" >> "
                + seen
                + "; exit 7");
    try (RandomAccessFile file = new RandomAccessFile(dir.resolve("big.bin").toFile(), "rw")) {
      file.setLength(256L << 20);
      file.seek(100L << 20);
      file.writeUTF("not all zeros");
    }
    String[] serve = Jars.serveArgs("--uploads", "uploads", "--on-upload", hook.toString());
    Jars.Server first = Jars.serve(dir, List.of(), serve);
    Process cut =
        new ProcessBuilder(
                Jars.client(
                    List.of(),
                    "upload",
                    "--server",
                    first.address(),
                    "--key",
                    "sensor-1.credential",
                    "big.bin"))
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("cut.txt").toFile())
            .start();
    // Cut it once some of it is on the server (a partial exists), or let it finish if it is fast.
    Awaitility.await()
        .atMost(Duration.ofSeconds(120))
        .until(() -> hasPartial(dir.resolve("uploads/sensor-1")) || !cut.isAlive());
    first.process().destroyForcibly();
    first.process().waitFor(30, TimeUnit.SECONDS);
    cut.waitFor(60, TimeUnit.SECONDS);

    Jars.Server second = Jars.serve(dir, List.of(), serve);
    try {
      assertThat(upload(second, "big.bin")).isZero();
      Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(seen));
      Awaitility.await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> Files.readString(dir.resolve("audit.jsonl")).contains("\"exit\":7"));
      List<String> lines = Files.readAllLines(seen);
      assertThat(lines).hasSize(1);
      String[] f = lines.getFirst().split(" ");
      assertThat(f[1]).isEqualTo(f[2]);
      assertThat(dir.resolve("uploads/sensor-1/big.bin"))
          .hasSameBinaryContentAs(dir.resolve("big.bin"));
      assertThat(Files.readString(dir.resolve("audit.jsonl")))
          .contains("\"event\":\"upload.hook\"")
          .contains("\"outcome\":\"failed\",\"exit\":7");
      assertThat(Files.readString(dir.resolve("server.err")))
          .contains("--on-upload for big.bin of sensor-1: failed (exit 7)");
    } finally {
      second.process().destroy();
      second.process().waitFor(30, TimeUnit.SECONDS);
    }
  }

  private static boolean hasPartial(Path clientDir) throws java.io.IOException {
    if (!Files.isDirectory(clientDir)) {
      return false;
    }
    try (var files = Files.list(clientDir)) {
      return files.anyMatch(p -> p.getFileName().toString().startsWith("."));
    }
  }

  @Test
  void aHookThatIsNotAnExecutableIsAUsageErrorAtStart() throws Exception {
    Jars.provision(dir, "sensor-1");
    int exit =
        Jars.run(
            dir,
            Jars.server(
                List.of(), Jars.serveArgs("--on-upload", dir.resolve("nope.sh").toString())));
    assertThat(exit).isEqualTo(2);
  }
}
