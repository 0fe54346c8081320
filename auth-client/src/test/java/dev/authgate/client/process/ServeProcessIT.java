package dev.authgate.client.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code auth-server serve} as a real process: it starts, serves a ping, and stops on SIGTERM. */
class ServeProcessIT {
  @TempDir Path dir;

  private List<String> java(String jarProperty, String... args) {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("-jar");
    command.add(System.getProperty(jarProperty));
    command.addAll(List.of(args));
    return command;
  }

  @Test
  void sigtermStopsTheServerCleanlyWithExitZeroAndServerStoppedAudited() throws Exception {
    Process add =
        new ProcessBuilder(
                java(
                    "authgate.server.jar",
                    "keys",
                    "add",
                    "s1",
                    "--keys",
                    "keys",
                    "--out",
                    "s1.credential"))
            .directory(dir.toFile())
            .start();
    assertThat(add.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(add.exitValue()).isZero();

    Process server =
        new ProcessBuilder(
                java(
                    "authgate.server.jar",
                    "serve",
                    "--port",
                    "0",
                    "--keys",
                    "keys",
                    "--audit-log",
                    "audit.jsonl"))
            .directory(dir.toFile())
            .redirectError(dir.resolve("server.err").toFile())
            .start();
    String listening =
        new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8))
            .readLine();
    assertThat(listening).matches("listening on 127\\.0\\.0\\.1:\\d+");

    Process ping =
        new ProcessBuilder(
                java(
                    "authgate.client.jar",
                    "ping",
                    "--server",
                    listening.substring("listening on ".length()),
                    "--key",
                    "s1.credential"))
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .start();
    assertThat(ping.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(ping.exitValue()).isZero();

    server.destroy();
    assertThat(server.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(server.exitValue()).isZero();
    List<String> audit = Files.readAllLines(dir.resolve("audit.jsonl"));
    assertThat(audit.get(audit.size() - 1)).contains("\"event\":\"server.stopped\"");
    assertThat(audit).anyMatch(l -> l.contains("\"event\":\"auth.accepted\""));
    assertThat(Files.readString(dir.resolve("server.err"))).isEmpty();
  }
}
