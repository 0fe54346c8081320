package dev.authgate.client.upload;

import static org.assertj.core.api.Assertions.assertThat;

import dev.authgate.protocol.crypto.Digests;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded server and client as separate processes, each with a 64 MiB heap, upload a file five
 * times larger than either heap. Streaming with constant memory is the only way this passes.
 */
class UploadMemoryIT {
  private static final long FILE_SIZE = 320L << 20;
  @TempDir Path dir;

  private static List<String> java(String jar, String... args) {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("-Xmx64m");
    command.add("-jar");
    command.add(System.getProperty(jar));
    command.addAll(List.of(args));
    return command;
  }

  private int run(List<String> command) throws Exception {
    Process process =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectOutput(dir.resolve("out-" + System.nanoTime() + ".txt").toFile())
            .redirectErrorStream(true)
            .start();
    assertThat(process.waitFor(180, TimeUnit.SECONDS)).as("%s finished", command).isTrue();
    return process.exitValue();
  }

  @Test
  void aFileFiveTimesTheHeapUploadsWithSixtyFourMebibyteHeapsOnBothSides() throws Exception {
    assertThat(
            run(
                java(
                    "authgate.server.jar",
                    "keys",
                    "add",
                    "mem",
                    "--keys",
                    "keys",
                    "--out",
                    "mem.credential")))
        .isZero();
    String expected = writeRandomFile(dir.resolve("big.bin"));
    Process server =
        new ProcessBuilder(
                java(
                    "authgate.server.jar",
                    "serve",
                    "--port",
                    "0",
                    "--keys",
                    "keys",
                    "--uploads",
                    "uploads",
                    "--audit-log",
                    "audit.jsonl"))
            .directory(dir.toFile())
            .redirectError(dir.resolve("server.err").toFile())
            .start();
    try {
      String listening =
          new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8))
              .readLine();
      assertThat(listening).startsWith("listening on ");
      String address = listening.substring("listening on ".length());

      int exit =
          run(
              java(
                  "authgate.client.jar",
                  "upload",
                  "--server",
                  address,
                  "--key",
                  "mem.credential",
                  "big.bin"));

      assertThat(exit).as(Files.readString(dir.resolve("server.err"))).isZero();
      assertThat(sha256(dir.resolve("uploads/mem/big.bin"))).isEqualTo(expected);
    } finally {
      server.destroy();
      server.waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static String writeRandomFile(Path file) throws IOException {
    MessageDigest digest = Digests.newSha256();
    Random random = new Random(42);
    byte[] chunk = new byte[1 << 20];
    try (OutputStream out = Files.newOutputStream(file)) {
      for (long left = FILE_SIZE; left > 0; left -= chunk.length) {
        random.nextBytes(chunk);
        out.write(chunk);
        digest.update(chunk);
      }
    }
    return java.util.HexFormat.of().formatHex(digest.digest());
  }

  private static String sha256(Path file) throws IOException {
    MessageDigest digest = Digests.newSha256();
    try (var in = Files.newInputStream(file)) {
      byte[] buffer = new byte[1 << 20];
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
      }
    }
    return java.util.HexFormat.of().formatHex(digest.digest());
  }
}
