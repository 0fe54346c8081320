package dev.authgate.client.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client takes its server and credential from AUTHGATE_SERVER and AUTHGATE_KEY. */
class ClientEnvironmentProcessIT {
  @TempDir Path dir;

  private Process client(java.util.Map<String, String> env, String... args) throws Exception {
    ProcessBuilder builder =
        new ProcessBuilder(Jars.client(List.of(), args))
            .directory(dir.toFile())
            .redirectOutput(dir.resolve("client.out").toFile())
            .redirectError(dir.resolve("client.err").toFile());
    builder.environment().remove("AUTHGATE_SERVER");
    builder.environment().remove("AUTHGATE_KEY");
    builder.environment().putAll(env);
    Process process = builder.start();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return process;
  }

  @Test
  void pingNeedsNoOptionsWhenTheEnvironmentNamesServerAndKey() throws Exception {
    Jars.provision(dir, "env-1");
    Jars.Server server = Jars.serve(dir, List.of(), Jars.serveArgs());
    try {
      Process ping =
          client(
              java.util.Map.of(
                  "AUTHGATE_SERVER", server.address(), "AUTHGATE_KEY", "env-1.credential"),
              "ping");
      assertThat(ping.exitValue()).as(Files.readString(dir.resolve("client.err"))).isZero();
      assertThat(Files.readString(dir.resolve("client.out"))).contains(" as env-1 (key k1)");

      Process without = client(java.util.Map.of(), "ping");
      assertThat(without.exitValue()).isEqualTo(2);
      assertThat(Files.readString(dir.resolve("client.err")))
          .isEqualTo("auth-client: no server: give --server HOST[:PORT] or set AUTHGATE_SERVER\n");
    } finally {
      server.process().destroy();
      server.process().waitFor(30, TimeUnit.SECONDS);
    }
  }
}
