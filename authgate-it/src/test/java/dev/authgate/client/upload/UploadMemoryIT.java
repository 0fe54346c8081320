package dev.authgate.client.upload;

import static org.assertj.core.api.Assertions.assertThat;

import dev.authgate.client.process.Jars;
import dev.authgate.protocol.crypto.Digests;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
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

  @Test
  void aFileFiveTimesTheHeapUploadsWithSixtyFourMebibyteHeapsOnBothSides() throws Exception {
    List<String> smallHeap = List.of("-Xmx64m");
    assertThat(
            Jars.run(
                dir,
                Jars.server(
                    smallHeap, "keys", "add", "mem", "--keys", "keys", "--out", "mem.credential")))
        .isZero();
    String expected = writeRandomFile(dir.resolve("big.bin"));
    Jars.Server server =
        Jars.serve(
            dir,
            smallHeap,
            "serve",
            "--port",
            "0",
            "--keys",
            "keys",
            "--uploads",
            "uploads",
            "--audit-log",
            "audit.jsonl");
    try {
      int exit =
          Jars.run(
              dir,
              Jars.client(
                  smallHeap,
                  "upload",
                  "--server",
                  server.address(),
                  "--key",
                  "mem.credential",
                  "big.bin"));

      assertThat(exit).as(Files.readString(dir.resolve("server.err"))).isZero();
      assertThat(sha256(dir.resolve("uploads/mem/big.bin"))).isEqualTo(expected);
    } finally {
      server.process().destroy();
      server.process().waitFor(10, TimeUnit.SECONDS);
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
