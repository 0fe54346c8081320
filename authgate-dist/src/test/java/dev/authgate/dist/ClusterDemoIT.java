package dev.authgate.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/cluster-demo} as an operator runs it: a real redis-server, three servers from the
 * repository's launchers and a real HAProxy; pings, chat across servers, an upload, a server killed
 * under a chat member, and a penalty shared by every server. Skipped, saying why, where
 * redis-server or haproxy is not installed ({@code .ci/run} installs both when it can).
 */
class ClusterDemoIT {
  @TempDir Path dir;

  @Test
  void theClusterDemoRunsEveryStepAndStopsWhatItStarted() throws Exception {
    assumeTrue(
        Files.isExecutable(Path.of("/usr/bin/redis-server"))
            && Files.isExecutable(Path.of("/usr/sbin/haproxy")),
        "redis-server and haproxy are not installed (apt-get install redis-server haproxy)");
    Path repository = Path.of("").toAbsolutePath().getParent();
    Path out = dir.resolve("out.txt");
    ProcessBuilder builder =
        new ProcessBuilder(repository.resolve("bin/cluster-demo").toString())
            .directory(repository.toFile())
            .redirectErrorStream(true)
            .redirectOutput(out.toFile());
    builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
    builder.environment().put("TMPDIR", dir.toString());
    // Every port from a range, as on a host whose firewall opens only those.
    builder.environment().put("AUTHGATE_PORTS", "30300-30399");
    Process demo = builder.start();
    boolean finished = demo.waitFor(5, TimeUnit.MINUTES);
    if (!finished) {
      demo.descendants().forEach(ProcessHandle::destroyForcibly);
      demo.destroyForcibly();
    }
    String output = Files.readString(out);

    assertThat(finished).as(output).isTrue();
    assertThat(demo.exitValue()).as(output).isZero();
    assertThat(output)
        .contains("answered by gw1")
        .contains("answered by gw2")
        .contains("answered by gw3")
        .contains("\"text\":\"hello across servers\"")
        .contains("rejections by server id")
        .contains("cluster demo OK");
    java.util.regex.Matcher listening =
        java.util.regex.Pattern.compile(
                "(?m)^(?:gw[123] listening on 127\\.0\\.0\\.1:|  bind 127\\.0\\.0\\.1:|redis://127\\.0\\.0\\.1:)([0-9]+)")
            .matcher(output);
    int ports = 0;
    while (listening.find()) {
      assertThat(Integer.parseInt(listening.group(1)))
          .as(listening.group())
          .isBetween(30300, 30399);
      ports++;
    }
    assertThat(ports).as("three servers, redis and HAProxy's two frontends").isEqualTo(6);
    // Everything it started is gone, and so is its work directory.
    assertThat(
            ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().orElse("").contains(dir.toString()))
                .map(p -> p.info().commandLine().orElse("")))
        .isEmpty();
    try (var left = Files.list(dir)) {
      assertThat(left.filter(p -> p.getFileName().toString().startsWith("authgate-cluster")))
          .isEmpty();
    }
  }
}
