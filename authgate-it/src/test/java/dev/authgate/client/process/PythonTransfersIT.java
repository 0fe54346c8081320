package dev.authgate.client.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Python client's transfers against the real Java server: a 100 MiB upload and its resume, and
 * list and fetch beside the Java client's. Apart from {@link PythonClientIT} so that the two run in
 * the two test JVMs at once: together they are the longest process test.
 */
class PythonTransfersIT {
  @TempDir Path dir;

  @BeforeAll
  static void pythonWithCryptography() throws Exception {
    PythonClientIT.pythonWithCryptography();
  }

  @Test
  void aHundredMebibyteUploadIsStoredByteIdentical_andACutUploadResumes() throws Exception {
    Jars.provision(dir, "sensor-1");
    Path file = dir.resolve("big.bin");
    try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(file.toFile(), "rw")) {
      raf.setLength(100L << 20);
      raf.seek(77L << 20);
      raf.writeUTF("not all zeros");
    }
    Jars.Server server = Jars.serve(dir, List.of(), Jars.serveArgs("--uploads", "uploads"));
    try {
      PythonClientIT.Run upload =
          PythonClientIT.authgate(
              dir, "upload", server.address(), "sensor-1.credential", "big.bin");
      assertThat(upload.exit()).as(upload.err()).isZero();
      assertThat(upload.out()).startsWith("stored big.bin: 104857600 bytes, sha256 ");
      assertThat(dir.resolve("uploads/sensor-1/big.bin")).hasSameBinaryContentAs(file);

      // Cut one mid-file: the process dies (no CLOSE, no END) after its 20th chunk of data.
      Files.copy(file, dir.resolve("again.bin"));
      PythonClientIT.Run killed =
          PythonClientIT.python(
              dir,
              "-c",
              String.join(
                  "\n",
                  "import os, authgate",
                  "from authgate import protocol",
                  "send = protocol.SecureChannel.send",
                  "chunks = [0]",
                  "def dying(self, inner, body):",
                  "    send(self, inner, body)",
                  "    if inner == protocol.UPLOAD_DATA:",
                  "        chunks[0] += 1",
                  "        if chunks[0] == 20:",
                  "            os._exit(9)",
                  "protocol.SecureChannel.send = dying",
                  "conn = authgate.connect('"
                      + server.address()
                      + "',"
                      + " authgate.Credential.load('sensor-1.credential'))",
                  "conn.upload('again.bin')"));
      assertThat(killed.exit()).isEqualTo(9);
      PythonClientIT.Run resumed =
          PythonClientIT.authgate(
              dir, "upload", server.address(), "sensor-1.credential", "again.bin");
      assertThat(resumed.exit()).as(resumed.err()).isZero();
      assertThat(resumed.out()).contains("(resumed from ");
      assertThat(Long.parseLong(resumed.out().replaceAll("(?s).*resumed from (\\d+).*", "$1")))
          .isPositive()
          .isLessThanOrEqualTo(20L << 20);
      assertThat(dir.resolve("uploads/sensor-1/again.bin")).hasSameBinaryContentAs(file);
    } finally {
      server.process().destroy();
      server.process().waitFor(30, TimeUnit.SECONDS);
    }
  }

  /**
   * A file that grows while the Python client reads it (a log still being written) is not stored:
   * the client abandons the upload, says so, and the server audits {@code source-changed}, as for
   * auth-client.
   */
  @Test
  void aFileThatChangesWhileThePythonClientSendsItIsNotStored_andIsAuditedAsSourceChanged()
      throws Exception {
    Jars.provision(dir, "sensor-1");
    Files.write(dir.resolve("growing.log"), new byte[8 << 20]);
    Jars.Server server = Jars.serve(dir, List.of(), Jars.serveArgs("--uploads", "uploads"));
    try {
      // The command line's own upload, with the file appended to after its third chunk went out.
      PythonClientIT.Run changed =
          PythonClientIT.python(
              dir,
              "-c",
              String.join(
                  "\n",
                  "import sys",
                  "from authgate import protocol",
                  "from authgate.__main__ import main",
                  "send = protocol.SecureChannel.send",
                  "chunks = [0]",
                  "def growing(self, inner, body):",
                  "    send(self, inner, body)",
                  "    if inner == protocol.UPLOAD_DATA:",
                  "        chunks[0] += 1",
                  "        if chunks[0] == 3:",
                  "            with open('growing.log', 'ab') as f:",
                  "                f.write(b'one more line\\n')",
                  "protocol.SecureChannel.send = growing",
                  "sys.exit(main(['upload', '--server', '"
                      + server.address()
                      + "', '--key', 'sensor-1.credential', 'growing.log']))"));
      assertThat(changed.exit()).as(changed.out() + changed.err()).isEqualTo(5);
      assertThat(changed.out() + changed.err())
          .contains("growing.log changed while it was being read; nothing was stored")
          .doesNotContain("Traceback");
      assertThat(dir.resolve("uploads/sensor-1/growing.log")).doesNotExist();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!Files.readString(dir.resolve("audit.jsonl")).contains("\"source-changed\"")) {
        assertThat(System.nanoTime() < deadline).as("audited within 30 s").isTrue();
        Thread.sleep(50);
      }
      assertThat(Files.readString(dir.resolve("audit.jsonl")))
          .contains("\"event\":\"upload.failed\"")
          .doesNotContain("\"reason\":\"size-mismatch\"");
    } finally {
      server.process().destroy();
      server.process().waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void thePythonClientListsLikeTheJavaClientAndFetchesResumesAndSkipsUnchangedFiles()
      throws Exception {
    Jars.provision(dir, "sensor-1");
    Path own = Files.createDirectories(dir.resolve("published/sensor-1"));
    Files.createDirectories(dir.resolve("published/_all"));
    byte[] image = new byte[12 << 20];
    new java.util.Random(12).nextBytes(image);
    Files.write(own.resolve("image.bin"), image);
    Files.writeString(dir.resolve("published/_all/ca.pem"), "certificate\n");
    Path etc = Files.createDirectories(dir.resolve("etc"));
    // What an interrupted fetch left: the first 5 MiB, staged.
    Files.write(etc.resolve(".image.bin.authgate-part"), java.util.Arrays.copyOf(image, 5 << 20));
    Jars.Server server = Jars.serve(dir, List.of(), Jars.serveArgs("--published", "published"));
    try {
      PythonClientIT.Run pyList =
          PythonClientIT.authgate(dir, "list", server.address(), "sensor-1.credential", "--json");
      assertThat(pyList.exit()).as(pyList.err()).isZero();
      Path javaOut = dir.resolve("java-list.out");
      Process java =
          new ProcessBuilder(
                  Jars.client(
                      List.of(),
                      "list",
                      "--server",
                      server.address(),
                      "--key",
                      "sensor-1.credential",
                      "--json"))
              .directory(dir.toFile())
              .redirectOutput(javaOut.toFile())
              .start();
      assertThat(java.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(pyList.out())
          .as("the same JSON, byte for byte")
          .isEqualTo(Files.readString(javaOut));

      PythonClientIT.Run get =
          PythonClientIT.authgate(
              dir,
              "get",
              server.address(),
              "sensor-1.credential",
              "--out",
              "etc",
              "image.bin",
              "ca.pem");
      assertThat(get.exit()).as(get.err()).isZero();
      assertThat(get.out())
          .contains("fetched image.bin: " + (12 << 20) + " bytes (resumed from " + (5 << 20) + ")")
          .contains("fetched ca.pem: 12 bytes");
      assertThat(Files.readAllBytes(etc.resolve("image.bin"))).isEqualTo(image);
      assertThat(etc.resolve(".image.bin.authgate-part")).doesNotExist();

      PythonClientIT.Run poll =
          PythonClientIT.authgate(
              dir,
              "get",
              server.address(),
              "sensor-1.credential",
              "--out",
              "etc",
              "--if-changed",
              "image.bin");
      assertThat(poll.exit()).isZero();
      assertThat(poll.out()).startsWith("unchanged image.bin: " + (12 << 20) + " bytes, sha256 ");

      PythonClientIT.Run missing =
          PythonClientIT.authgate(
              dir, "get", server.address(), "sensor-1.credential", "--out", "etc", "nope");
      assertThat(missing.exit()).isEqualTo(5);
      assertThat(missing.out()).startsWith("refused nope: ");
      PythonClientIT.Run traversal =
          PythonClientIT.authgate(
              dir, "get", server.address(), "sensor-1.credential", "--out", "etc", "../keys");
      assertThat(traversal.exit()).isEqualTo(2);
    } finally {
      server.process().destroy();
      server.process().waitFor(30, TimeUnit.SECONDS);
    }
  }
}
