package dev.authgate.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where serve's settings come from: command line, then AUTHGATE_* variables, then --config. */
class ConfigDefaultsTest {
  @TempDir Path dir;

  private String serveError(Map<String, String> env, String... args) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    AuthServerCommand.run(
        args,
        new PrintStream(new ByteArrayOutputStream()),
        new PrintStream(err, true, StandardCharsets.UTF_8),
        env);
    return err.toString(StandardCharsets.UTF_8);
  }

  private Path keystore() {
    Path keys = dir.resolve("keys");
    ServerCliRun.server(
        "keys",
        "add",
        "s1",
        "--keys",
        keys.toString(),
        "--out",
        dir.resolve("s1.credential").toString());
    return keys;
  }

  @Test
  void theCommandLineBeatsTheEnvironmentWhichBeatsTheConfigFile() throws IOException {
    Path keys = keystore();
    try (ServerSocket a = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        ServerSocket b = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        ServerSocket c = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Path config =
          Files.writeString(
              dir.resolve("authgate.properties"),
              "# settings\nport="
                  + a.getLocalPort()
                  + "\nkeys="
                  + keys
                  + "\naudit-log="
                  + dir.resolve("audit.jsonl")
                  + "\n");

      assertThat(serveError(Map.of(), "serve", "--config", config.toString()))
          .contains(":" + a.getLocalPort() + ": address already in use");
      assertThat(
              serveError(
                  Map.of("AUTHGATE_PORT", "" + b.getLocalPort()),
                  "serve",
                  "--config",
                  config.toString()))
          .contains(":" + b.getLocalPort() + ": address already in use");
      assertThat(
              serveError(
                  Map.of("AUTHGATE_PORT", "" + b.getLocalPort()),
                  "serve",
                  "--config=" + config,
                  "--port",
                  "" + c.getLocalPort()))
          .contains(":" + c.getLocalPort() + ": address already in use");
    }
  }

  @Test
  void aMisspelledSettingInTheConfigFileIsRefusedByName() throws IOException {
    Path config =
        Files.writeString(
            dir.resolve("typo.properties"), "prot=7351\nmax-sesions=10\nhandshake-timeout=5s\n");

    assertThat(serveError(Map.of(), "serve", "--config", config.toString()))
        .startsWith(
            "auth-server: --config "
                + config
                + ": unknown settings 'max-sesions', 'prot'; settings are serve's long options"
                + " without the dashes, e.g. port=7350\n");
  }

  @Test
  void theShippedConfigurationNamesOnlyRealSettings() throws IOException {
    Path shipped = Path.of("..", "contrib", "authgate.properties");
    ConfigDefaults defaults =
        ConfigDefaults.from(new String[] {"--config", shipped.toString()}, Map.of());
    picocli.CommandLine serve = new picocli.CommandLine(new ServeCommand());
    assertThat(defaults.unknownSettings(serve.getCommandSpec())).isEmpty();
  }

  @Test
  void theShippedConfigurationShowsEverySettingSetOrCommentedOut() throws IOException {
    String shipped = Files.readString(Path.of("..", "contrib", "authgate.properties"));
    picocli.CommandLine serve = new picocli.CommandLine(new ServeCommand());
    java.util.List<String> absent = new java.util.ArrayList<>();
    for (picocli.CommandLine.Model.OptionSpec option : serve.getCommandSpec().options()) {
      String name = option.longestName().replaceFirst("^--", "");
      if (ServeCheck.NOT_SETTINGS.contains(name)) {
        continue; // not settings
      }
      if (!java.util.regex.Pattern.compile("(?m)^(# )?" + name + "=").matcher(shipped).find()) {
        absent.add(name);
      }
    }
    assertThat(absent).as("settings contrib/authgate.properties does not show").isEmpty();
  }

  @Test
  void keysAndAuditReadTheInstalledConfiguration_serveOnlyWhenTold() throws IOException {
    Path installed = dir.resolve("etc-authgate.properties");
    Files.writeString(installed, "keys=/var/lib/authgate/keys\n");
    Path other = dir.resolve("other.properties");
    Files.writeString(other, "keys=/srv/other/keys\n");

    for (String[] args :
        List.of(new String[] {"keys", "list"}, new String[] {"audit", "--since", "1h"})) {
      assertThat(ConfigDefaults.from(args, Map.of(), installed).setting("keys"))
          .as(String.join(" ", args))
          .isEqualTo("/var/lib/authgate/keys");
    }
    // serve reads a configuration only when told: a developer's `serve` stays on its defaults.
    assertThat(ConfigDefaults.from(new String[] {"serve"}, Map.of(), installed).setting("keys"))
        .isNull();
    // AUTHGATE_CONFIG and --config name another, for every command.
    assertThat(
            ConfigDefaults.from(
                    new String[] {"serve"}, Map.of("AUTHGATE_CONFIG", other.toString()), installed)
                .setting("keys"))
        .isEqualTo("/srv/other/keys");
    assertThat(
            ConfigDefaults.from(
                    new String[] {"keys", "list", "--config", other.toString()},
                    Map.of(),
                    installed)
                .setting("keys"))
        .isEqualTo("/srv/other/keys");
    // No installed file: the built-in defaults.
    assertThat(
            ConfigDefaults.from(new String[] {"keys", "list"}, Map.of(), dir.resolve("absent"))
                .setting("keys"))
        .isNull();
  }

  @Test
  void theInstalledFileIsLeftOutWhenTheCommandLineNamesItsOwnPaths_orTheFileIsNotTrustworthy()
      throws IOException {
    Path installed = Files.writeString(dir.resolve("installed.properties"), "keys=/srv/keys\n");
    // A keystore of its own: the installed audit log would not belong with it.
    assertThat(
            ConfigDefaults.from(new String[] {"keys", "list", "--keys", "k"}, Map.of(), installed)
                .setting("keys"))
        .isNull();
    assertThat(
            ConfigDefaults.from(new String[] {"audit", "--audit-log=x.jsonl"}, Map.of(), installed)
                .setting("keys"))
        .isNull();
    // Help for serve and an @file of arguments never pick it up either.
    assertThat(ConfigDefaults.from(new String[] {"help", "serve"}, Map.of(), installed).source())
        .isNull();
    assertThat(ConfigDefaults.from(new String[] {"@args"}, Map.of(), installed).source()).isNull();

    // Writable by others: anyone could point root's keys at their own directory.
    Files.setPosixFilePermissions(
        installed, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
    assertThat(ConfigDefaults.from(new String[] {"keys", "list"}, Map.of(), installed).source())
        .isNull();
    // Malformed: left out, and the command still runs (no exception).
    Path malformed = Files.writeString(dir.resolve("bad.properties"), "keys=\\uZZZZ\n");
    assertThat(ConfigDefaults.from(new String[] {"--version"}, Map.of(), malformed).source())
        .isNull();
  }

  @Test
  void aMisspeltSettingInTheFileNamedByTheEnvironmentIsRefusedToo() throws IOException {
    Path config = Files.writeString(dir.resolve("env.properties"), "prot=7350\n");

    String err = serveError(Map.of("AUTHGATE_CONFIG", config.toString()), "serve", "--check");

    assertThat(err).startsWith("auth-server: " + config + ": unknown setting 'prot'");
  }

  @Test
  void aMissingConfigFileIsOneClearLine() {
    assertThat(serveError(Map.of(), "serve", "--config", dir.resolve("nope").toString()))
        .startsWith("auth-server: cannot read --config " + dir.resolve("nope"));
  }

  @Test
  void aBadValueFromTheEnvironmentIsAUsageErrorNamingIt() {
    assertThat(serveError(Map.of("AUTHGATE_HANDSHAKE_TIMEOUT", "soon"), "serve"))
        .contains("'soon' is not a duration");
  }

  @Test
  void serveHelpDocumentsEveryDefault() {
    ByteArrayOutputStream picocliWarnings = new ByteArrayOutputStream();
    PrintStream original = System.err;
    System.setErr(new PrintStream(picocliWarnings, true, StandardCharsets.UTF_8));
    ServerCliRun run;
    try {
      run = ServerCliRun.server("serve", "--help");
    } finally {
      System.setErr(original);
    }
    assertThat(picocliWarnings.toString(StandardCharsets.UTF_8)).isEmpty();
    assertThat(run.out())
        .contains("(default: 10s)")
        .contains("(default: 7350)")
        .contains("(default: 64:30:256)")
        .contains("(default: 30s)")
        .contains("AUTHGATE_")
        .contains("RATE% chance");
  }
}
