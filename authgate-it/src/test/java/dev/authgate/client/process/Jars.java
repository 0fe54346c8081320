package dev.authgate.client.process;

import static org.assertj.core.api.Assertions.assertThat;

import dev.authgate.protocol.keyfile.Credential;
import dev.authgate.protocol.keyfile.HostKeyFile;
import dev.authgate.protocol.keyfile.KeyFiles;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The shaded jars, run as separate processes by integration tests, with the JDK that runs the
 * tests. Failsafe passes the jar paths as system properties.
 */
public final class Jars {
  private Jars() {}

  /** {@code java [jvmOptions] -jar auth-server-all.jar args}. */
  public static List<String> server(List<String> jvmOptions, String... args) {
    return command("authgate.server.jar", jvmOptions, args);
  }

  /** {@code java [jvmOptions] -jar auth-client-all.jar args}. */
  public static List<String> client(List<String> jvmOptions, String... args) {
    return command("authgate.client.jar", jvmOptions, args);
  }

  private static List<String> command(String jar, List<String> jvmOptions, String... args) {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.addAll(classDataSharing(jar, jvmOptions));
    command.addAll(jvmOptions);
    command.add("-jar");
    command.add(System.getProperty(jar));
    command.addAll(List.of(args));
    return command;
  }

  /**
   * As the launcher runs a jar (bin/lib/launcher.sh): from a class-data archive the first run
   * writes, so the hundreds of short client and server processes the suite starts do not each load
   * and verify the same classes again. One archive per jar and test JVM (two test JVMs never write
   * one file at once); none where the options choose their own, or before JDK 19.
   */
  private static List<String> classDataSharing(String jar, List<String> jvmOptions) {
    if (Runtime.version().feature() < 19
        || jvmOptions.stream()
            .anyMatch(o -> o.startsWith("-XX:SharedArchiveFile") || o.startsWith("-Xshare"))) {
      return List.of();
    }
    Path archive =
        Path.of("target", "cds", jar + "-" + ProcessHandle.current().pid() + ".jsa")
            .toAbsolutePath();
    try {
      Files.createDirectories(archive.getParent());
    } catch (IOException e) {
      return List.of();
    }
    return List.of(
        "-XX:SharedArchiveFile=" + archive,
        "-XX:+AutoCreateSharedArchive",
        "-Xlog:cds=off",
        "-Xlog:cds+dynamic=off");
  }

  /**
   * {@code serve --port 0 --keys keys --audit-log audit.jsonl} (relative to the test's directory)
   * followed by {@code options}.
   */
  public static String[] serveArgs(String... options) {
    List<String> args =
        new ArrayList<>(
            List.of("serve", "--port", "0", "--keys", "keys", "--audit-log", "audit.jsonl"));
    args.addAll(List.of(options));
    return args.toArray(String[]::new);
  }

  /**
   * Starts {@code chat --json} in {@code dir} as {@code id} (its credential is {@code
   * ID.credential}).
   */
  public static Process jsonChat(Path dir, String address, String id) throws IOException {
    return new ProcessBuilder(
            client(List.of(), "chat", "--server", address, "--key", id + ".credential", "--json"))
        .directory(dir.toFile())
        .redirectError(dir.resolve(id + ".err").toFile())
        .start();
  }

  /** Runs {@code keys add ID --keys keys --out ID.credential} in {@code dir}; it must succeed. */
  public static void provision(Path dir, String id) throws Exception {
    assertThat(
            run(
                dir,
                server(
                    List.of(),
                    "keys",
                    "add",
                    id,
                    "--keys",
                    "keys",
                    "--out",
                    id + ".credential",
                    // (every keys change is audited; not in the logs/ a test may expect absent)
                    "--audit-log",
                    "keys-audit.jsonl")))
        .as("keys add %s", id)
        .isZero();
  }

  /**
   * Provisions {@code id} in a keystore of its own under {@code impostorDir} (the same id, another
   * secret), then pins the host key of the keystore in {@code dir}: a wrong key for that server,
   * not a wrong server (which the client would refuse before it sent anything).
   */
  public static void provisionImpostor(Path dir, Path impostorDir, String id) throws Exception {
    provision(impostorDir, id);
    Path credential = impostorDir.resolve(id + ".credential");
    String realHostKey =
        HostKeyFile.parse(
                dir.resolve("keys/host.key"),
                java.nio.file.Files.readString(dir.resolve("keys/host.key")))
            .key()
            .publicKey()
            .fingerprint();
    KeyFiles.writePrivate(
        credential, Credential.load(credential).withHostKeys(List.of(realHostKey)).format(), true);
  }

  /** Runs {@code command} in {@code dir} to its end (at most 3 minutes); returns the exit code. */
  public static int run(Path dir, List<String> command) throws Exception {
    Process process =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectOutput(dir.resolve("out-" + System.nanoTime() + ".txt").toFile())
            .redirectErrorStream(true)
            .start();
    assertThat(process.waitFor(180, TimeUnit.SECONDS)).as("%s finished", command).isTrue();
    return process.exitValue();
  }

  /**
   * Starts {@code serve} in {@code dir} and waits for its {@code listening on} line.
   *
   * @return the running server; its address is {@link Server#address()}
   */
  public static Server serve(Path dir, List<String> jvmOptions, String... args) throws IOException {
    return serve(dir, server(jvmOptions, args));
  }

  /**
   * Starts {@code command} (a {@code serve}, perhaps wrapped, e.g. in a shell that lowers a limit)
   * in {@code dir} and waits for its {@code listening on} line.
   */
  public static Server serve(Path dir, List<String> command) throws IOException {
    Process process =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectError(dir.resolve("server.err").toFile())
            .start();
    String listening =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))
            .readLine();
    assertThat(listening).as("the server's first line").startsWith("listening on ");
    return new Server(process, listening.substring("listening on ".length()));
  }

  /**
   * A running server process.
   *
   * @param process the process
   * @param address its {@code HOST:PORT}
   */
  public record Server(Process process, String address) {}
}
