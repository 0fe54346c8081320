package dev.authgate.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
        new ProcessBuilder(
                repository.resolve("bin/cluster-demo").toString(), "--ports", "30300-30399")
            .directory(repository.toFile())
            .redirectErrorStream(true)
            .redirectOutput(out.toFile());
    builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
    builder.environment().put("TMPDIR", dir.toString());
    // Every port from a range, as on a host whose firewall opens only those.
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
    Matcher listening =
        Pattern.compile(
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

  /**
   * A range given wrongly, as the option or as {@code AUTHGATE_PORTS}, is refused in one line with
   * exit 2 before anything is started.
   */
  @Test
  void aPortRangeGivenWronglyIsRefusedBeforeAnythingStarts() throws Exception {
    Path repository = Path.of("").toAbsolutePath().getParent();
    String demo = repository.resolve("bin/cluster-demo").toString();
    record Case(List<String> command, Map<String, String> env, String says) {}
    for (Case wrong :
        List.of(
            new Case(
                List.of(demo, "--ports", "40000"),
                Map.of(),
                "bin/cluster-demo: --ports '40000': use LOW-HIGH, e.g. 40000-40099 (see --help)"),
            new Case(
                List.of(demo, "--ports"),
                Map.of(),
                "bin/cluster-demo: --ports needs LOW-HIGH (see --help)"),
            new Case(
                List.of(demo),
                Map.of("AUTHGATE_PORTS", "40000-40005"),
                "bin/cluster-demo: --ports '40000-40005': at least 10 ports, between 1024 and 65535"
                    + " (see --help)"),
            new Case(
                List.of(demo, "--ports=80-200"),
                Map.of(),
                "bin/cluster-demo: --ports '80-200': at least 10 ports, between 1024 and 65535"
                    + " (see --help)"))) {
      Path out = dir.resolve("wrong.txt");
      ProcessBuilder builder =
          new ProcessBuilder(wrong.command())
              .directory(repository.toFile())
              .redirectErrorStream(true)
              .redirectOutput(out.toFile());
      builder.environment().remove("AUTHGATE_PORTS");
      builder.environment().putAll(wrong.env());
      builder.environment().put("TMPDIR", dir.toString());
      Process process = builder.start();
      assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("%s finished", wrong).isTrue();
      assertThat(process.exitValue()).as("%s", wrong).isEqualTo(2);
      assertThat(Files.readString(out)).isEqualTo(wrong.says() + "\n");
    }
    try (var left = Files.list(dir)) {
      assertThat(left.filter(p -> p.getFileName().toString().startsWith("authgate-cluster")))
          .as("nothing started")
          .isEmpty();
    }
  }
}
