package dev.authgate.server.cli;

import dev.authgate.server.keystore.EffectiveUser;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Option defaults from the environment and a properties file, so that the command line wins over
 * {@code AUTHGATE_*} environment variables, which win over {@code --config FILE} (or {@code
 * AUTHGATE_CONFIG}; for {@code keys} and {@code audit}, the installed {@value #INSTALLED} when it
 * exists), which wins over the built-in defaults. {@code --handshake-timeout} is {@code
 * AUTHGATE_HANDSHAKE_TIMEOUT} in the environment and {@code handshake-timeout} in the file.
 */
final class ConfigDefaults implements IDefaultValueProvider {
  private static final Set<String> NOT_CONFIGURABLE =
      Set.of("help", "version", "config", "check", "print-config");

  /**
   * What the other commands (keys, audit) take from the server's configuration: where things are.
   */
  private static final Set<String> SHARED_WITH_OTHER_COMMANDS = Set.of("keys", "audit-log");

  private static boolean servesFrom(OptionSpec option) {
    return option.command() != null && "serve".equals(option.command().name());
  }

  private final Properties file;
  private final Map<String, String> env;
  private final Path source;

  ConfigDefaults(Properties file, Map<String, String> env) {
    this(file, env, null);
  }

  ConfigDefaults(Properties file, Map<String, String> env, Path source) {
    this.file = file;
    this.env = env;
    this.source = source;
  }

  /** The file the settings came from, or null for none. */
  Path source() {
    return source;
  }

  /**
   * Finds {@code --config FILE} (or {@code --config=FILE}) in {@code args} and loads it.
   *
   * @throws IOException naming the file, if it cannot be read
   */
  static ConfigDefaults from(String[] args, Map<String, String> env) throws IOException {
    return from(args, env, Path.of(INSTALLED));
  }

  /** As {@link #from(String[], Map)}, with the installed configuration at {@code installed}. */
  static ConfigDefaults from(String[] args, Map<String, String> env, Path installed)
      throws IOException {
    String path = configPath(args);
    if (path == null) {
      path = env.get(CONFIG_ENV);
    }
    if (path == null && !serving(args) && !names(args, "--keys", "--audit-log")) {
      return installed(installed, env);
    }
    if (path == null) {
      return new ConfigDefaults(new Properties(), env, null);
    }
    try (Reader in = Files.newBufferedReader(Path.of(path), StandardCharsets.UTF_8)) {
      return new ConfigDefaults(parse(in), env, Path.of(path));
    } catch (IOException e) {
      throw new IOException("cannot read --config " + path + ": " + e.getMessage(), e);
    }
  }

  /**
   * The installed configuration, for {@code keys} and {@code audit} when the command line names no
   * keystore or audit log of its own (then the file's other path would not belong with it). It is
   * trusted only as OpenSSH trusts its own files: a regular file that only root or this user may
   * change; otherwise, or if it cannot be read, it is left out, saying why, and the command runs on
   * its built-in defaults (even {@code --version} must not fail on it).
   */
  private static ConfigDefaults installed(Path file, Map<String, String> env) {
    if (!Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return new ConfigDefaults(new Properties(), env, null);
    }
    String problem = null;
    try {
      var a =
          Files.readAttributes(
              file,
              java.nio.file.attribute.PosixFileAttributes.class,
              java.nio.file.LinkOption.NOFOLLOW_LINKS);
      int owner =
          (Integer) Files.getAttribute(file, "unix:uid", java.nio.file.LinkOption.NOFOLLOW_LINKS);
      if (!a.isRegularFile()) {
        problem = "not a regular file";
      } else if (owner != 0 && owner != EffectiveUser.uid()) {
        problem = "owned by uid " + owner + ", neither root nor this user";
      } else if (a.permissions().contains(java.nio.file.attribute.PosixFilePermission.GROUP_WRITE)
          || a.permissions().contains(java.nio.file.attribute.PosixFilePermission.OTHERS_WRITE)) {
        problem = "writable by group or others (chmod 644 " + file + ")";
      } else if (Files.isReadable(file)) {
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
          return new ConfigDefaults(parse(in), env, file);
        }
      } else {
        return new ConfigDefaults(new Properties(), env, null); // another user's: not for us
      }
    } catch (IOException | RuntimeException e) {
      problem = e.getMessage();
    }
    System.err.println("auth-server: not using " + file + ": " + problem);
    return new ConfigDefaults(new Properties(), env, null);
  }

  /** Whether {@code args} give any of {@code options} (as {@code --x V} or {@code --x=V}). */
  private static boolean names(String[] args, String... options) {
    for (String arg : args) {
      for (String option : options) {
        if (arg.equals(option) || arg.startsWith(option + "=")) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Reads a properties file.
   *
   * @throws IOException if it cannot be read or is malformed (a bad {@code \\uXXXX} escape, which
   *     {@link Properties#load} reports as an unchecked exception; found by the config fuzzer)
   */
  static Properties parse(Reader in) throws IOException {
    Properties properties = new Properties();
    try {
      properties.load(in);
    } catch (IllegalArgumentException e) {
      throw new IOException("malformed file: " + e.getMessage(), e);
    }
    return properties;
  }

  /**
   * The configuration the systemd unit runs {@code serve} with: {@code keys} and {@code audit} read
   * their paths from it when no {@code --config} (or {@link #CONFIG_ENV}) names another.
   */
  static final String INSTALLED = "/etc/authgate/authgate.properties";

  /** The environment variable naming the configuration file, for every command. */
  static final String CONFIG_ENV = "AUTHGATE_CONFIG";

  /**
   * Whether {@code args} run {@code serve} (or its help), which reads a configuration only when
   * told to: the first word that is not an option, or an {@code @file} of arguments (then assume
   * serve: the installed file is not applied to what cannot be seen).
   */
  private static boolean serving(String[] args) {
    for (String arg : args) {
      if (arg.startsWith("@")) {
        return true;
      }
      if (!arg.startsWith("-")) {
        return arg.equals("serve") || arg.equals("help");
      }
    }
    return false;
  }

  private static String configPath(String[] args) {
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--config") && i + 1 < args.length) {
        return args[i + 1];
      }
      if (args[i].startsWith("--config=")) {
        return args[i].substring("--config=".length());
      }
    }
    return null;
  }

  /**
   * Settings in the file that name no option of {@code command}: a misspelling would otherwise be
   * ignored silently and the built-in default used instead.
   */
  java.util.List<String> unknownSettings(picocli.CommandLine.Model.CommandSpec command) {
    Set<String> known = new java.util.HashSet<>();
    for (OptionSpec option : command.options()) {
      for (String name : option.names()) {
        if (name.startsWith("--")) {
          known.add(name.substring(2));
        }
      }
    }
    return file.stringPropertyNames().stream()
        .filter(key -> !known.contains(key) || NOT_CONFIGURABLE.contains(key))
        .sorted()
        .toList();
  }

  /** The file's value of {@code setting}, or null. */
  String setting(String setting) {
    return file.getProperty(setting);
  }

  @Override
  public String defaultValue(ArgSpec arg) {
    if (!(arg instanceof OptionSpec option) || !option.longestName().startsWith("--")) {
      return null;
    }
    String name = option.longestName().substring(2);
    if (NOT_CONFIGURABLE.contains(name)) {
      return null;
    }
    if (!servesFrom(option) && !SHARED_WITH_OTHER_COMMANDS.contains(name)) {
      // The server's settings are for serve: the server's quota=50G must not become the
      // --quota of `keys set ID --rooms ops --config …`.
      return null;
    }
    String fromEnv = env.get("AUTHGATE_" + name.toUpperCase(Locale.ROOT).replace('-', '_'));
    if (fromEnv != null) {
      return fromEnv;
    }
    return file.getProperty(name);
  }
}
