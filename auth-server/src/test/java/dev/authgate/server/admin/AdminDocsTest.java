package dev.authgate.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.authgate.protocol.crypto.RandomSource;
import dev.authgate.protocol.crypto.ScramKeys;
import dev.authgate.protocol.keyfile.AdminToken;
import dev.authgate.protocol.keyfile.AdminTokenFile;
import dev.authgate.protocol.keyfile.EnrollmentToken;
import dev.authgate.protocol.keyfile.KeyFiles;
import dev.authgate.server.AuthgateServer;
import dev.authgate.server.audit.AuditRotation;
import dev.authgate.server.connection.ServerConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/OPERATIONS.md, "Admin API and console": its curl examples, run as written against a real
 * server.
 */
@Tag("system")
class AdminDocsTest {
  private static final Path OPERATIONS = Path.of("..", "docs", "OPERATIONS.md");
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  /** The block of the section that starts with {@code ADMIN=}. */
  static List<String> examples() throws IOException {
    List<String> lines = Files.readAllLines(OPERATIONS);
    int section = lines.indexOf("## Admin API and console");
    assertThat(section).as("the Admin API section").isPositive();
    List<String> block = new ArrayList<>();
    boolean in = false;
    for (String line : lines.subList(section, lines.size())) {
      if (line.startsWith("ADMIN=")) {
        in = true;
      }
      if (in && line.equals("```")) {
        break;
      }
      if (in) {
        block.add(line);
      }
    }
    assertThat(block).as("the curl examples").hasSizeGreaterThan(3);
    return block;
  }

  @Test
  void theCurlExamplesRunAsWritten() throws Exception {
    KeyFiles.ensurePrivateDirectory(dir.resolve("keys"));
    try (AuthgateServer server =
        AuthgateServer.builder(
                ServerConfig.loopback(0, dir.resolve("uploads")), dir.resolve("keys"))
            .environment(java.util.Map.of())
            .auditLog(dir.resolve("audit.jsonl"), AuditRotation.never())
            .admin(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .start()) {
      AdminToken ci = AdminToken.generate(RandomSource.secure());
      server
          .keystore()
          .adminTokens()
          .create(ci, "ci", AdminTokenFile.Scope.WRITE, Duration.ofDays(1));
      Files.writeString(dir.resolve("ci.token"), ci.text() + "\n");
      EnrollmentToken token =
          server
              .keystore()
              .enrollmentTokens()
              .create(Duration.ofHours(1), 1, true, "sensor-7", null);
      server
          .keystore()
          .enrollmentTokens()
          .enroll(
              token.tokenId(),
              "",
              ScramKeys.fromSaltedPassword(RandomSource.secure().bytes(32)).verifier());
      server.liveKeystore().replace(server.keystore().load()); // as the server's enrollment does

      List<String> block = examples();
      List<String> outputs = new ArrayList<>();
      StringBuilder script = new StringBuilder("set -eu\n");
      for (String line : block) {
        if (line.startsWith("ADMIN=")) {
          // The one change: the port this test's server got.
          line = "ADMIN=http://127.0.0.1:" + server.adminAddress().getPort();
        }
        script.append(line).append('\n');
        if (line.startsWith("curl ")) {
          script.append("echo\n");
        }
      }
      Process bash =
          new ProcessBuilder("bash", "-c", script.toString())
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .start();
      assertThat(bash.waitFor(60, TimeUnit.SECONDS)).isTrue();
      String out = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(bash.exitValue()).as(out).isZero();
      for (String line : out.split("\n")) {
        if (!line.isBlank()) {
          outputs.add(line);
        }
      }
      long curls = block.stream().filter(l -> l.startsWith("curl ")).count();
      assertThat(outputs).as(out).hasSize((int) curls);
      for (String answer : outputs) {
        JsonNode json = JSON.readTree(answer);
        assertThat(json.has("error")).as(answer).isFalse();
      }
      assertThat(JSON.readTree(outputs.get(1)).path("clients").get(0).path("client_id").asText())
          .isEqualTo("sensor-7");
      assertThat(server.keystore().client("sensor-7").keys().get(0).revoked()).isNotNull();
    }
  }
}
